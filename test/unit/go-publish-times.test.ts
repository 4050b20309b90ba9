import { describe, expect, it } from 'vitest';
import type { VersionSeen } from '../../shared/db/versions.js';
import { createGo } from '../../shared/ecosystems/go/index.js';
import type { CompletionContext, MetadataRoute, UpstreamDocument } from '../../shared/ecosystems/types.js';
import { UpstreamError } from '../../shared/upstream/client.js';

const go = createGo({ private: [] });
const LIST = go.route('github.com/!burnt!sushi/toml/@v/list', { method: 'GET', accept: undefined, query: '' }) as MetadataRoute;
const LATEST = go.route('github.com/!burnt!sushi/toml/@latest', { method: 'GET', accept: undefined, query: '' }) as MetadataRoute;
const DAY = 86_400_000;

const undated = (...versions: string[]): VersionSeen[] => versions.map((version) => ({ version, publishedAt: null, yanked: false }));

/** A completion context whose upstream serves the given .info documents (path → body, or an error to throw). */
function upstream(documents: Record<string, string | Error>, known: Record<string, number | null> = {}) {
  const asked: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const context: CompletionContext = {
    known: new Map(Object.entries(known).map(([version, publishedAt]) => [version, { publishedAt }])),
    now: Date.now(),
    async fetch(path): Promise<UpstreamDocument | undefined> {
      asked.push(path);
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      const document = documents[path];
      if (document instanceof Error) throw document;
      return document === undefined ? undefined : { url: `https://proxy.test/${path}`, status: 200, headers: {}, body: Buffer.from(document) };
    },
  };
  return { context, asked, mostInFlight: () => mostInFlight };
}

const info = (version: string, time: string) => JSON.stringify({ Version: version, Time: time });

describe('Go publish times from .info documents', () => {
  it('dates every listed version by the Time of its .info, asking upstream with the escaped path', async () => {
    const { context, asked } = upstream({
      'github.com/!burnt!sushi/toml/@v/v1.3.1.info': info('v1.3.1', '2023-05-01T10:00:00Z'),
      'github.com/!burnt!sushi/toml/@v/v1.3.2.info': info('v1.3.2', '2023-06-08T06:10:35Z'),
    });
    const versions = await go.completeVersions!(LIST, undated('v1.3.1', 'v1.3.2'), context);
    expect(versions).toEqual([
      { version: 'v1.3.1', publishedAt: Date.parse('2023-05-01T10:00:00Z'), yanked: false },
      { version: 'v1.3.2', publishedAt: Date.parse('2023-06-08T06:10:35Z'), yanked: false },
    ]);
    expect(asked.sort()).toEqual(['github.com/!burnt!sushi/toml/@v/v1.3.1.info', 'github.com/!burnt!sushi/toml/@v/v1.3.2.info']);
  });

  it('asks only for versions no earlier fetch dated', async () => {
    const { context, asked } = upstream({ 'github.com/!burnt!sushi/toml/@v/v1.3.2.info': info('v1.3.2', '2023-06-08T06:10:35Z') }, { 'v1.3.0': Date.now() - 300 * DAY, 'v1.3.2': null });
    const versions = await go.completeVersions!(LIST, undated('v1.3.0', 'v1.3.2'), context);
    expect(asked).toEqual(['github.com/!burnt!sushi/toml/@v/v1.3.2.info']);
    // The dated one is left for the database, which keeps what it knows.
    expect(versions).toEqual([
      { version: 'v1.3.0', publishedAt: null, yanked: false },
      { version: 'v1.3.2', publishedAt: Date.parse('2023-06-08T06:10:35Z'), yanked: false },
    ]);
  });

  it('asks at most 8 at a time, however long the list', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `v1.0.${i}`);
    const { context, asked, mostInFlight } = upstream(Object.fromEntries(many.map((v) => [`github.com/!burnt!sushi/toml/@v/${v}.info`, info(v, '2020-01-01T00:00:00Z')])));
    const versions = await go.completeVersions!(LIST, undated(...many), context);
    expect(asked).toHaveLength(40);
    expect(mostInFlight()).toBe(8);
    expect(versions.every((v) => v.publishedAt === Date.parse('2020-01-01T00:00:00Z'))).toBe(true);
  });

  it('leaves out a version whose .info upstream does not have, so it is never recorded', async () => {
    const { context } = upstream({ 'example.com/m/@v/v1.0.0.info': info('v1.0.0', '2020-01-01T00:00:00Z') });
    const list = go.route('example.com/m/@v/list', { method: 'GET', accept: undefined, query: '' }) as MetadataRoute;
    expect(await go.completeVersions!(list, undated('v1.0.0', 'v9.9.9'), context)).toEqual([{ version: 'v1.0.0', publishedAt: Date.parse('2020-01-01T00:00:00Z'), yanked: false }]);
  });

  it('leaves a version undated when its .info fails, is invalid or names another version', async () => {
    const { context } = upstream({
      'example.com/m/@v/v1.0.0.info': new UpstreamError(502, 'upstream proxy.test answered 500'),
      'example.com/m/@v/v1.1.0.info': 'not json',
      'example.com/m/@v/v1.2.0.info': info('v1.1.0', '2020-01-01T00:00:00Z'),
    });
    const list = go.route('example.com/m/@v/list', { method: 'GET', accept: undefined, query: '' }) as MetadataRoute;
    expect(await go.completeVersions!(list, undated('v1.0.0', 'v1.1.0', 'v1.2.0'), context)).toEqual(undated('v1.0.0', 'v1.1.0', 'v1.2.0'));
  });

  it('leaves .info documents alone: they carry their own time', async () => {
    const { context, asked } = upstream({});
    const dated = [{ version: 'v1.3.2', publishedAt: 1, yanked: false }];
    expect(await go.completeVersions!(LATEST, dated, context)).toBe(dated);
    expect(asked).toEqual([]);
  });
});
