import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../shared/config/schema.js';
import type { VersionSeen } from '../../shared/db/versions.js';
import { createMaven } from '../../shared/ecosystems/maven/index.js';
import type { CompletionContext, MetadataRoute, UpstreamDocument } from '../../shared/ecosystems/types.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const DAY = 86_400_000;

function maven(cooldown: ConfigInput['cooldown']) {
  return createMaven(configSchema.parse({ cooldown }));
}

function route(path = 'org/acme/lib/maven-metadata.xml'): MetadataRoute {
  const r = maven({}).route(path, { method: 'GET', accept: undefined, query: '' });
  if (r.kind !== 'metadata') throw new Error('not metadata');
  return r;
}

/** An upstream whose files were last modified `ageDays` ago, recording every request. */
function upstream(ages: Record<string, number>, known: Record<string, number | null> = {}) {
  const requests: Array<{ path: string; method: string | undefined }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const context: CompletionContext = {
    now: NOW,
    known: new Map(Object.entries(known).map(([v, t]) => [v, { publishedAt: t }])),
    async fetch(path, init): Promise<UpstreamDocument | undefined> {
      requests.push({ path, method: init?.method });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      const age = ages[path];
      if (age === undefined) return undefined;
      return { url: `https://repo.test/${path}`, status: 200, headers: { 'last-modified': new Date(NOW - age * DAY).toUTCString() }, body: Buffer.alloc(0) };
    },
  };
  return { context, requests, maxInFlight: () => maxInFlight };
}

const undated = (...versions: string[]): VersionSeen[] => versions.map((version) => ({ version, publishedAt: null, yanked: false }));
const pom = (version: string) => `org/acme/lib/${version}/lib-${version}.pom`;
const at = (ageDays: number) => new Date(new Date(NOW - ageDays * DAY).toUTCString()).getTime();

describe('Maven publish times from Last-Modified', () => {
  it('HEADs POMs newest first until one is older than the cooldown; older ones take its time as an upper bound', async () => {
    const module = maven({ ecosystems: { maven: '3d' } });
    const versions = Array.from({ length: 300 }, (_, i) => `1.0.${i}`);
    const ages = Object.fromEntries(versions.map((v, i) => [pom(v), 600 - 2 * i]));
    const fake = upstream(ages);
    const dated = await module.completeVersions!(route(), undated(...versions), fake.context);

    // 1.0.299 is 2 days old, 1.0.298 4 days: one batch of HEADs, not three hundred.
    expect(fake.requests.length).toBeLessThanOrEqual(8);
    expect(fake.requests.every((r) => r.method === 'HEAD')).toBe(true);
    expect(fake.requests[0]!.path).toBe(pom('1.0.299'));
    const byVersion = new Map(dated.map((v) => [v.version, v.publishedAt]));
    expect(byVersion.get('1.0.299')).toBe(at(2));
    expect(byVersion.get('1.0.298')).toBe(at(4));
    expect(byVersion.get('1.0.0')).toBe(at(4));
    expect(dated.every((v) => v.publishedAt !== null)).toBe(true);
    expect(dated.map((v) => v.version)).toEqual(versions);
  });

  it('keeps going in bounded batches while versions are inside the cooldown', async () => {
    const module = maven({ ecosystems: { maven: '30d' } });
    const versions = Array.from({ length: 40 }, (_, i) => `2.${i}`);
    // One a day: the newest 30 are inside the cooldown.
    const fake = upstream(Object.fromEntries(versions.map((v, i) => [pom(v), 39 - i])));
    const dated = await module.completeVersions!(route(), undated(...versions), fake.context);
    expect(fake.maxInFlight()).toBeLessThanOrEqual(8);
    // 2.39 down to 2.9 (30 days old, the boundary): four batches of eight.
    expect(fake.requests).toHaveLength(32);
    const byVersion = new Map(dated.map((v) => [v.version, v.publishedAt]));
    expect(byVersion.get('2.39')).toBe(at(0));
    expect(byVersion.get('2.9')).toBe(at(30));
    expect(byVersion.get('2.8')).toBe(at(31));
    expect(byVersion.get('2.7')).toBe(at(30));
    expect(byVersion.get('2.0')).toBe(at(30));
  });

  it('asks only about versions never dated, and counts known times toward the boundary', async () => {
    const module = maven({ ecosystems: { maven: '3d' } });
    const versions = Array.from({ length: 10 }, (_, i) => `1.${i}`);
    // 1.0 was recorded undated; 1.1 to 1.8 are dated; 1.9 is new upstream.
    const known = Object.fromEntries(versions.slice(0, 9).map((v, i) => [v, i === 0 ? null : NOW - (60 - i) * DAY]));
    const fake = upstream({ [pom('1.9')]: 1 }, known);
    const dated = await module.completeVersions!(route(), undated(...versions), fake.context);
    expect(fake.requests.map((r) => r.path)).toEqual([pom('1.9')]);
    // Known versions come back undated, so their recorded time stays; 1.0 takes 1.8's as a bound.
    expect(dated.map((v) => v.publishedAt)).toEqual([NOW - 52 * DAY, null, null, null, null, null, null, null, null, at(1)]);
  });

  it('leaves a version undated when its POM has no Last-Modified, and never bounds versions listed after the boundary', async () => {
    const module = maven({ ecosystems: { maven: '3d' } });
    const fake = upstream({ [pom('1.0')]: 10, [pom('1.1')]: 9 });
    const dated = await module.completeVersions!(route(), undated('1.0', '1.1', '1.2'), fake.context);
    expect(dated.map((v) => v.publishedAt)).toEqual([at(10), at(9), null]);
  });

  it('dates a SNAPSHOT by its own maven-metadata.xml, its latest build', async () => {
    const module = maven({ ecosystems: { maven: '3d' } });
    const fake = upstream({ 'org/acme/lib/1.1-SNAPSHOT/maven-metadata.xml': 1 });
    const dated = await module.completeVersions!(route('org/acme/lib/1.1-SNAPSHOT/maven-metadata.xml'), undated('1.1-SNAPSHOT'), fake.context);
    expect(dated[0]!.publishedAt).toBe(at(1));
  });

  it('uses the cooldown of the package: a package rule of 0 asks nothing, as does no cooldown at all', async () => {
    const exempt = maven({ ecosystems: { maven: '3d' }, packages: { 'pkg:maven/org.acme:lib': '0' } });
    const none = maven({});
    for (const module of [exempt, none]) {
      const fake = upstream({ [pom('1.0')]: 1 });
      expect(await module.completeVersions!(route(), undated('1.0'), fake.context)).toEqual(undated('1.0'));
      expect(fake.requests).toEqual([]);
    }
    const strict = maven({ packages: { 'pkg:maven/org.acme:lib': '7d' } });
    const fake = upstream({ [pom('1.0')]: 1 });
    expect((await strict.completeVersions!(route(), undated('1.0'), fake.context))[0]!.publishedAt).toBe(at(1));
  });
});
