import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface EcosystemStats {
  ecosystem: string;
  packages: number;
  versions: number;
  artifacts: number;
  bytes: number;
  hits: number;
  refusals: number;
}

/** What the cache holds, by ecosystem: artifacts and bytes count only what has been fetched. */
export async function cacheStats(db: Kysely<Database>): Promise<EcosystemStats[]> {
  const [versions, artifacts, refusals] = await Promise.all([
    db
      .selectFrom('versions')
      .select(['ecosystem', sql<number>`count(distinct package)`.as('packages'), sql<number>`count(*)`.as('versions')])
      .groupBy('ecosystem')
      .execute(),
    db
      .selectFrom('artifacts')
      .where('blob_sha256', 'is not', null)
      .select(['ecosystem', sql<number>`count(*)`.as('artifacts'), sql<number>`coalesce(sum(size), 0)`.as('bytes'), sql<number>`coalesce(sum(hits), 0)`.as('hits')])
      .groupBy('ecosystem')
      .execute(),
    db
      .selectFrom('policy_decisions')
      .select(['ecosystem', sql<number>`coalesce(sum(count), 0)`.as('refusals')])
      .groupBy('ecosystem')
      .execute(),
  ]);
  const byEcosystem = new Map<string, EcosystemStats>();
  const entry = (ecosystem: string) => {
    let stats = byEcosystem.get(ecosystem);
    if (!stats) byEcosystem.set(ecosystem, (stats = { ecosystem, packages: 0, versions: 0, artifacts: 0, bytes: 0, hits: 0, refusals: 0 }));
    return stats;
  };
  for (const r of versions) Object.assign(entry(r.ecosystem), { packages: Number(r.packages), versions: Number(r.versions) });
  for (const r of artifacts) Object.assign(entry(r.ecosystem), { artifacts: Number(r.artifacts), bytes: Number(r.bytes), hits: Number(r.hits) });
  for (const r of refusals) entry(r.ecosystem).refusals = Number(r.refusals);
  return [...byEcosystem.values()].sort((a, b) => a.ecosystem.localeCompare(b.ecosystem));
}
