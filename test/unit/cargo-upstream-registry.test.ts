import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VersionSeen } from '../../shared/db/versions.js';
import { parseIndexFile } from '../../shared/ecosystems/cargo/index-file.js';
import { configRoute, indexRoute } from '../../shared/ecosystems/cargo/routes.js';
import { UpstreamRegistries } from '../../shared/ecosystems/cargo/upstream-registry.js';
import type { CompletionContext, UpstreamDocument } from '../../shared/ecosystems/types.js';
import { HttpError } from '../../shared/http-error.js';

const fixtures = join(import.meta.dirname, '../fixtures/cargo');
const serde = parseIndexFile('serde', readFileSync(join(fixtures, 'se/rd/serde')));
const cratesIoConfig = readFileSync(join(fixtures, 'config.json'));
const serdeVersions = readFileSync(join(fixtures, 'api/serde-versions.json'));
const route = indexRoute('serde');
const TTL = 60_000;

/** A completion context over a table of upstream documents, recording what was fetched. */
function upstreamOf(documents: Record<string, Buffer | Error>, options: { known?: Record<string, number | null>; now?: number; documentUrl?: string } = {}) {
  const fetched: string[] = [];
  const context: CompletionContext = {
    known: new Map(Object.entries(options.known ?? {}).map(([v, publishedAt]) => [v, { publishedAt }])),
    now: options.now ?? 1_000_000,
    documentUrl: options.documentUrl ?? 'https://index.crates.io/se/rd/serde',
    async fetch(url): Promise<UpstreamDocument | undefined> {
      fetched.push(url);
      const body = documents[url];
      if (body instanceof Error) throw body;
      return body ? { url, status: 200, headers: {}, body } : undefined;
    },
  };
  return { context, fetched };
}

describe('Cargo artifacts declared from the upstream config.json', () => {
  it("builds each line's download URL from the dl template of the upstream that served the index file", async () => {
    const { context, fetched } = upstreamOf({ 'https://index.crates.io/config.json': cratesIoConfig });
    const declared = await new UpstreamRegistries(TTL).declareArtifacts(route, serde, context);
    expect(fetched).toEqual(['https://index.crates.io/config.json']);
    expect(declared[3]).toEqual({
      path: 'api/v1/crates/serde/1.0.228/download',
      version: '1.0.228',
      upstreamUrl: 'https://static.crates.io/crates/serde/1.0.228/download',
      checksums: [{ algorithm: 'sha256', hex: '9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e' }],
    });
    expect(declared.map((d) => d.version)).toEqual(['1.0.0', '1.0.149', '1.0.219', '1.0.228']);
  });

  it('takes the config.json beside the index file on a second upstream, not the first one', async () => {
    const { context, fetched } = upstreamOf(
      { 'https://mirror.test/cargo/index/config.json': Buffer.from('{"dl":"https://files.mirror.test/{lowerprefix}/{crate}-{version}.crate"}') },
      { documentUrl: 'https://mirror.test/cargo/index/se/rd/serde' },
    );
    const declared = await new UpstreamRegistries(TTL).declareArtifacts(route, serde, context);
    expect(fetched).toEqual(['https://mirror.test/cargo/index/config.json']);
    expect(declared[0]!.upstreamUrl).toBe('https://files.mirror.test/se/rd/serde-1.0.0.crate');
  });

  it('reads each config.json once per TTL, and again after it', async () => {
    const registries = new UpstreamRegistries(TTL);
    const first = upstreamOf({ 'https://index.crates.io/config.json': cratesIoConfig });
    await registries.declareArtifacts(route, serde, first.context);
    await registries.declareArtifacts(route, serde, first.context);
    expect(first.fetched).toHaveLength(1);
    const later = upstreamOf({ 'https://index.crates.io/config.json': cratesIoConfig }, { now: 1_000_000 + TTL });
    await registries.declareArtifacts(route, serde, later.context);
    expect(later.fetched).toHaveLength(1);
  });

  it('fails with 502 when the upstream has no usable config.json, and asks again next time', async () => {
    const registries = new UpstreamRegistries(TTL);
    const missing = upstreamOf({});
    await expect(registries.declareArtifacts(route, serde, missing.context)).rejects.toThrow(new HttpError(502, 'the upstream Cargo registry has no https://index.crates.io/config.json'));
    const invalid = upstreamOf({ 'https://index.crates.io/config.json': Buffer.from('<html>') });
    await expect(registries.declareArtifacts(route, serde, invalid.context)).rejects.toThrow(/^upstream https:\/\/index.crates.io\/config.json is not a Cargo registry's config: config.json is not JSON/);
    const fixed = upstreamOf({ 'https://index.crates.io/config.json': cratesIoConfig });
    expect(await registries.declareArtifacts(route, serde, fixed.context)).toHaveLength(4);
    expect(fixed.fetched).toHaveLength(1);
  });

  it('declares nothing, and fetches nothing, for config.json itself', async () => {
    const { context, fetched } = upstreamOf({});
    expect(await new UpstreamRegistries(TTL).declareArtifacts(configRoute(), { package: 'config.json', versions: [], artifacts: [], document: {} }, context)).toEqual([]);
    expect(fetched).toEqual([]);
  });
});

describe('Cargo publish times from the web API', () => {
  const API = 'https://crates.io/api/v1/crates/serde/versions';
  const documents = { 'https://index.crates.io/config.json': cratesIoConfig, [API]: serdeVersions };

  it("dates the versions without pubtime from the API's created_at, keeping pubtime where there is one", async () => {
    const { context, fetched } = upstreamOf(documents);
    const versions = await new UpstreamRegistries(TTL).completeVersions(route, serde.versions, context);
    expect(fetched).toEqual(['https://index.crates.io/config.json', API]);
    expect(versions).toEqual([
      { version: '1.0.0', publishedAt: Date.parse('2017-04-20T15:35:06.094Z'), yanked: false },
      { version: '1.0.149', publishedAt: Date.parse('2022-12-06T01:58:38.409Z'), yanked: true },
      { version: '1.0.219', publishedAt: Date.parse('2025-03-09T19:45:32.185Z'), yanked: false },
      { version: '1.0.228', publishedAt: Date.parse('2025-09-27T16:51:35Z'), yanked: false },
    ]);
  });

  it('asks nothing when every undated version was dated by an earlier fetch', async () => {
    const { context, fetched } = upstreamOf(documents, { known: { '1.0.0': 1, '1.0.149': 2, '1.0.219': 3 } });
    const versions = await new UpstreamRegistries(TTL).completeVersions(route, serde.versions, context);
    expect(fetched).toEqual([]);
    expect(versions).toEqual(serde.versions);
  });

  it('asks again for versions an earlier fetch could not date', async () => {
    const { context, fetched } = upstreamOf(documents, { known: { '1.0.0': 1, '1.0.149': 2, '1.0.219': null } });
    const versions = await new UpstreamRegistries(TTL).completeVersions(route, serde.versions, context);
    expect(fetched).toContain(API);
    // Only what was undated is filled in: the others keep what the index and earlier fetches said.
    expect(versions.map((v) => v.publishedAt)).toEqual([null, null, Date.parse('2025-03-09T19:45:32.185Z'), Date.parse('2025-09-27T16:51:35Z')]);
  });

  it('leaves versions undated when the registry has no API, or it does not answer', async () => {
    const undated: VersionSeen[] = [{ version: '1.0.0', publishedAt: null, yanked: false }];
    const noApi = upstreamOf({ 'https://index.crates.io/config.json': Buffer.from('{"dl":"https://static.crates.io/crates"}') });
    expect(await new UpstreamRegistries(TTL).completeVersions(route, undated, noApi.context)).toEqual(undated);
    expect(noApi.fetched).toEqual(['https://index.crates.io/config.json']);
    const notFound = upstreamOf({ 'https://index.crates.io/config.json': cratesIoConfig });
    expect(await new UpstreamRegistries(TTL).completeVersions(route, undated, notFound.context)).toEqual(undated);
    const failing = upstreamOf({ 'https://index.crates.io/config.json': cratesIoConfig, [API]: new HttpError(502, 'upstream https://crates.io answered 429') });
    expect(await new UpstreamRegistries(TTL).completeVersions(route, undated, failing.context)).toEqual(undated);
    const garbage = upstreamOf({ 'https://index.crates.io/config.json': cratesIoConfig, [API]: Buffer.from('<html>') });
    expect(await new UpstreamRegistries(TTL).completeVersions(route, undated, garbage.context)).toEqual(undated);
  });
});
