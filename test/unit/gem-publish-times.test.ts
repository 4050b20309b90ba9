import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VersionSeen } from '../../shared/db/versions.js';
import { gem } from '../../shared/ecosystems/gem/index.js';
import type { CompletionContext, MetadataRoute, UpstreamDocument } from '../../shared/ecosystems/types.js';
import { UpstreamError } from '../../shared/upstream/client.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/gem');
const undated = (...versions: string[]): VersionSeen[] => versions.map((version) => ({ version, publishedAt: null, yanked: false }));

function infoRoute(name: string): MetadataRoute {
  return gem.route(`info/${name}`, { method: 'GET', accept: undefined, query: '' }) as MetadataRoute;
}

/** A completion context whose upstream answers from `documents` by path, recording each request. */
function context(documents: Record<string, string | Error>, known: Record<string, number | null> = {}) {
  const requested: string[] = [];
  const ctx: CompletionContext = {
    known: new Map(Object.entries(known).map(([version, publishedAt]) => [version, { publishedAt }])),
    now: Date.now(),
    async fetch(path): Promise<UpstreamDocument | undefined> {
      requested.push(path);
      const document = documents[path];
      if (document instanceof Error) throw document;
      if (document === undefined) return undefined;
      return { url: `https://rubygems.org/${path}`, status: 200, headers: {}, body: Buffer.from(document) };
    },
  };
  return { ctx, requested };
}

const complete = (name: string, versions: VersionSeen[], ctx: CompletionContext) => gem.completeVersions!(infoRoute(name), versions, ctx);

describe('RubyGems publish times from the JSON API', () => {
  const rackApi = readFileSync(join(FIXTURES, 'api-versions-rack.json'), 'utf8');

  it('dates every undated version with one request to api/v1/versions/<name>.json', async () => {
    const { ctx, requested } = context({ 'api/v1/versions/rack.json': rackApi });
    const versions = await complete('rack', undated('2.2.8', '3.0.9', '3.1.0', '9.9.9'), ctx);
    expect(requested).toEqual(['api/v1/versions/rack.json']);
    expect(versions).toEqual([
      { version: '2.2.8', publishedAt: Date.parse('2023-07-31T01:45:53.591Z'), yanked: false },
      { version: '3.0.9', publishedAt: Date.parse('2024-01-31T21:11:54.532Z'), yanked: false },
      { version: '3.1.0', publishedAt: Date.parse('2024-06-11T22:48:47.802Z'), yanked: false },
      // Pushed after the API answered: dated when first seen instead.
      { version: '9.9.9', publishedAt: null, yanked: false },
    ]);
  });

  it('matches platform gems by number and platform', async () => {
    const { ctx } = context({ 'api/v1/versions/nokogiri.json': readFileSync(join(FIXTURES, 'api-versions-nokogiri.json'), 'utf8') });
    const versions = await complete('nokogiri', undated('1.16.0', '1.16.0-x86_64-linux', '1.15.5-java'), ctx);
    expect(versions.map((v) => new Date(v.publishedAt!).toISOString())).toEqual(['2023-12-27T16:33:58.141Z', '2023-12-27T16:34:53.487Z', '2023-11-17T16:01:02.553Z']);
  });

  it('asks nothing when every version is dated by its line or by an earlier fetch', async () => {
    const { ctx, requested } = context({ 'api/v1/versions/rack.json': rackApi }, { '3.0.9': Date.parse('2024-01-31T21:11:54Z') });
    const lines: VersionSeen[] = [{ version: '3.1.0', publishedAt: Date.parse('2024-06-11T22:48:47Z'), yanked: false }, ...undated('3.0.9')];
    expect(await complete('rack', lines, ctx)).toEqual(lines);
    expect(requested).toEqual([]);
  });

  it('asks again for versions an earlier fetch could not date', async () => {
    const { ctx, requested } = context({ 'api/v1/versions/rack.json': rackApi }, { '3.0.9': null });
    const versions = await complete('rack', undated('3.0.9'), ctx);
    expect(requested).toHaveLength(1);
    expect(versions[0]!.publishedAt).toBe(Date.parse('2024-01-31T21:11:54.532Z'));
  });

  it('leaves versions undated when the upstream has no API, fails, or answers nonsense', async () => {
    for (const answer of [undefined, new UpstreamError(502, 'upstream https://rubygems.org answered 500'), '<html>', '{"error":"nope"}']) {
      const { ctx } = context(answer === undefined ? {} : { 'api/v1/versions/rack.json': answer });
      expect(await complete('rack', undated('3.0.9'), ctx)).toEqual(undated('3.0.9'));
    }
  });

  it('does not look for publish times of registry-wide files', async () => {
    const { ctx, requested } = context({});
    const route = gem.route('versions', { method: 'GET', accept: undefined, query: '' }) as MetadataRoute;
    expect(await gem.completeVersions!(route, undated('1.0.0'), ctx)).toEqual(undated('1.0.0'));
    expect(requested).toEqual([]);
  });
});
