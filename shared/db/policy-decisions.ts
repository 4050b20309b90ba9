import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface Refusal {
  ecosystem: string;
  package: string;
  version: string;
  rule: string;
  reason: string;
}

export async function recordRefusal(db: Kysely<Database>, refusal: Refusal, now: number): Promise<void> {
  await db
    .insertInto('policy_decisions')
    .values({ ...refusal, first_at: now, last_at: now, count: 1 })
    .onConflict((oc) =>
      oc.columns(['ecosystem', 'package', 'version', 'rule']).doUpdateSet((eb) => ({
        reason: refusal.reason,
        last_at: now,
        count: eb('policy_decisions.count', '+', 1),
      })),
    )
    .execute();
}
