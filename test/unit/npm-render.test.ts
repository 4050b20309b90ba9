import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../shared/config/schema.js';
import type { VersionRow } from '../../shared/db/schema.js';
import { npm } from '../../shared/ecosystems/npm/index.js';
import { moveDistTags } from '../../shared/ecosystems/npm/render.js';
import { packumentRoute, routeNpm } from '../../shared/ecosystems/npm/routes.js';
import type { ParsedMetadata, RenderContext } from '../../shared/ecosystems/types.js';
import { HttpError } from '../../shared/http-error.js';
import { Policy } from '../../shared/policy/policy.js';

const MOUNT = 'http://proxy.test:8080/npm/';

type Doc = Record<string, any>;

function fixtureJson(file: string): Doc {
  return JSON.parse(readFileSync(new URL(`../fixtures/npm/${file}`, import.meta.url), 'utf8'));
}

function parse(name: string, doc: Doc): ParsedMetadata {
  return npm.parse(packumentRoute(name, 'full'), Buffer.from(JSON.stringify(doc)));
}

function context(hidden: Iterable<string> | ReadonlyMap<string, string> = []): RenderContext {
  return { mountUrl: MOUNT, hidden: hidden instanceof Map ? hidden : new Map([...(hidden as Iterable<string>)].map((v) => [v, `${v} is hidden`])) };
}

/** Renders a document as `variant` and returns the body as JSON with its content type. */
function render(name: string, doc: Doc | ParsedMetadata, variant: string, hidden: Iterable<string> | ReadonlyMap<string, string> = []): { body: Doc; contentType: string } {
  const parsed = 'artifacts' in doc && 'document' in doc ? (doc as ParsedMetadata) : parse(name, doc);
  const rendered = npm.render(packumentRoute(name, variant), parsed, context(hidden));
  expect(Buffer.isBuffer(rendered.body)).toBe(true);
  return { body: JSON.parse(rendered.body.toString('utf8')), contentType: rendered.contentType };
}

function renderError(name: string, doc: Doc, variant: string, hidden: Iterable<string> = []): HttpError {
  let thrown: unknown;
  try {
    render(name, doc, variant, hidden);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(HttpError);
  return thrown as HttpError;
}

const react = () => fixtureJson('react.json');
const watcher = () => fixtureJson('parcel-watcher.json');
const typescript = () => fixtureJson('typescript.json');
const mirror = () => fixtureJson('is-number.mirror.json');
const withoutTime = (doc: Doc) => {
  delete doc.time;
  return doc;
};

describe('full packument', () => {
  it('points every tarball at the proxy and leaves the rest of each manifest alone', () => {
    const original = react();
    const { body, contentType } = render('react', original, 'full');
    expect(contentType).toBe('application/json');
    expect(Object.keys(body.versions)).toEqual(Object.keys(original.versions));
    for (const [version, manifest] of Object.entries<Doc>(body.versions)) {
      const file = original.versions[version].dist.tarball.split('/').pop();
      expect(manifest.dist.tarball).toBe(`${MOUNT}react/-/${file}`);
      expect({ ...manifest, dist: { ...manifest.dist, tarball: 'x' } }).toEqual({
        ...original.versions[version],
        dist: { ...original.versions[version].dist, tarball: 'x' },
      });
    }
    expect(body.versions['19.3.1'].dist.tarball).toBe('http://proxy.test:8080/npm/react/-/react-19.3.1.tgz');
  });

  it('keeps every other field, time and dist-tags when nothing is hidden', () => {
    const original = react();
    const { body } = render('react', original, 'full');
    expect(body.time).toEqual(original.time);
    expect(body['dist-tags']).toEqual(original['dist-tags']);
    expect(body._id).toBe('react');
    expect(body.name).toBe('react');
    expect(Object.keys(body).sort()).toEqual(Object.keys(original).sort());
  });

  it('writes scoped tarball URLs that route back to the artifact the packument declares', () => {
    const parsed = parse('@parcel/watcher', watcher());
    const { body } = render('@parcel/watcher', parsed, 'full');
    expect(body.versions['2.6.0'].dist.tarball).toBe(`${MOUNT}@parcel/watcher/-/watcher-2.6.0.tgz`);
    for (const declared of parsed.artifacts) {
      const url = body.versions[declared.version].dist.tarball as string;
      expect(url.startsWith(MOUNT)).toBe(true);
      const route = routeNpm(url.slice(MOUNT.length), { method: 'GET', accept: undefined, query: '' });
      expect(route).toMatchObject({ kind: 'artifact', path: declared.path, metadata: { docKey: 'packument/@parcel/watcher' } });
    }
  });

  it('leaves a manifest without a tarball URL as it is', () => {
    const doc = react();
    delete doc.versions['18.2.0'].dist.tarball;
    const { body } = render('react', doc, 'full');
    expect(body.versions['18.2.0']).toEqual(doc.versions['18.2.0']);
  });

  it('does not change the parsed document, which is rendered again for other clients', () => {
    const parsed = parse('react', react());
    const before = JSON.stringify(parsed.document);
    render('react', parsed, 'full', ['19.3.1', '19.3.0']);
    render('react', parsed, 'abbreviated', ['19.3.1']);
    render('react', parsed, 'version:latest', ['19.3.1']);
    expect(JSON.stringify(parsed.document)).toBe(before);
    const { body } = render('react', parsed, 'full');
    expect(body['dist-tags'].latest).toBe('19.3.1');
    expect(body.versions['19.3.1']).toBeDefined();
    expect(body.time['19.3.1']).toBe('2026-10-02T18:33:20.560Z');
  });
});

describe('hidden versions', () => {
  it('are removed from versions and time, and time.modified becomes the newest remaining publish time', () => {
    const original = typescript();
    const { body } = render('typescript', original, 'full', ['7.1.0-dev.20261021.1']);
    expect(body.versions['7.1.0-dev.20261021.1']).toBeUndefined();
    expect(body.time['7.1.0-dev.20261021.1']).toBeUndefined();
    expect(Object.keys(body.versions)).toHaveLength(13);
    expect(body.time.modified).toBe('2026-10-09T07:16:58.391Z');
    expect(body.time.created).toBe(original.time.created);
    expect(body.time['7.0.2']).toBe(original.time['7.0.2']);
  });

  it('move time.modified to the newest remaining version, not the last one listed', () => {
    const { body } = render('react', react(), 'full', ['0.0.0-experimental-dc9aed36-20261027', '19.3.0-canary-dc9aed36-20261027']);
    // 19.3.1 is listed after the 0.0.0-experimental-8b0da1c6 build but published later.
    expect(body.time.modified).toBe('2026-10-02T18:33:20.560Z');
  });

  it('update a top-level `modified` too', () => {
    const doc = react();
    doc.modified = doc.time.modified;
    const { body } = render('react', doc, 'full', ['0.0.0-experimental-dc9aed36-20261027', '19.3.0-canary-dc9aed36-20261027', '19.3.1']);
    expect(body.time.modified).toBe('2026-09-22T16:10:57.731Z');
    expect(body.modified).toBe('2026-09-22T16:10:57.731Z');
    expect(render('react', doc, 'full').body.modified).toBe('2026-10-27T16:10:22.118Z');
  });

  it('are refused one by one, by version or by tag', () => {
    const error = renderError('react', react(), 'version:19.3.1', ['19.3.1']);
    expect(error.status).toBe(404);
    expect(error.message).toContain('react@19.3.1');
    expect(error.message).not.toMatch(/\n/);
    expect(renderError('@parcel/watcher', watcher(), 'version:2.2.1-alpha.0', ['2.2.1-alpha.0']).status).toBe(404);
    // The tag is still served, moved to the release below its hidden prerelease.
    expect(render('@parcel/watcher', watcher(), 'version:alpha', ['2.2.1-alpha.0']).body.version).toBe('2.2.0');
  });

  it('come from the cooldown policy: a 30-day npm cooldown on 2026-10-29', () => {
    const parsed = parse('react', react());
    const rows: VersionRow[] = parsed.versions.map((v) => ({
      ecosystem: 'npm',
      package: 'react',
      version: v.version,
      published_at: v.publishedAt,
      publish_time_source: 'upstream',
      first_seen_at: v.publishedAt!,
      yanked: 0,
    }));
    const now = Date.parse('2026-10-29T00:00:00.000Z');
    const policy = new Policy(configSchema.parse({ cooldown: { ecosystems: { npm: '30d' } } }).cooldown, () => now);
    const { hidden, validUntil } = policy.visibility('npm', 'react', rows);
    expect([...hidden.keys()].sort()).toEqual(['0.0.0-experimental-dc9aed36-20261027', '19.3.0-canary-dc9aed36-20261027', '19.3.1']);
    expect(new Date(validUntil).toISOString()).toBe('2026-11-01T18:33:20.560Z');

    const { body } = render('react', parsed, 'full', hidden);
    expect(body['dist-tags']).toEqual({
      latest: '19.3.0',
      next: '19.3.0-canary-8b0da1c6-20260922',
      canary: '19.3.0-canary-8b0da1c6-20260922',
      experimental: '0.0.0-experimental-8b0da1c6-20260922',
      beta: '19.0.0-beta-26f2496093-20240514',
      rc: '19.0.0-rc.1',
    });
    expect(Object.keys(body.versions)).toHaveLength(15);
    expect(body.time.modified).toBe('2026-09-22T16:10:57.731Z');
    expect(Object.keys(body.time).filter((k) => hidden.has(k))).toEqual([]);
  });
});

describe('dist-tags', () => {
  const tagsAfterHiding = (doc: Doc, name: string, hidden: string[]) => render(name, doc, 'full', hidden).body['dist-tags'];

  it('leave tags on visible versions alone', () => {
    expect(tagsAfterHiding(react(), 'react', ['19.3.1'])).toEqual({ ...react()['dist-tags'], latest: '19.3.0' });
    expect(tagsAfterHiding(react(), 'react', ['19.2.0', '18.3.1'])).toEqual(react()['dist-tags']);
  });

  it('move latest to the highest visible release below it, never to a prerelease', () => {
    // 7.0.1-rc sits between 6.0.3 and 7.0.2.
    expect(tagsAfterHiding(typescript(), 'typescript', ['7.0.2']).latest).toBe('6.0.3');
    // The 19.3.0 canaries sit between 19.2.9 and 19.3.1.
    expect(tagsAfterHiding(react(), 'react', ['19.3.1', '19.3.0']).latest).toBe('19.2.9');
  });

  it('move a tag to a version not above its old target, even when a higher one is visible', () => {
    // In semver order canary-8b0da1c6 < canary-dc9aed36 < canary-ff8f88fc.
    const tags = tagsAfterHiding(react(), 'react', ['19.3.0-canary-dc9aed36-20261027']);
    expect(tags.canary).toBe('19.3.0-canary-8b0da1c6-20260922');
    expect(tags.next).toBe('19.3.0-canary-8b0da1c6-20260922');
  });

  it('may move a prerelease tag to another prerelease', () => {
    expect(tagsAfterHiding(react(), 'react', ['19.0.0-rc.1']).rc).toBe('19.0.0-rc.0');
    expect(tagsAfterHiding(react(), 'react', ['19.0.0-rc.1', '19.0.0-rc.0']).rc).toBe('19.0.0-beta-26f2496093-20240514');
    expect(tagsAfterHiding(typescript(), 'typescript', ['7.1.0-dev.20261021.1'])).toMatchObject({
      next: '7.1.0-dev.20261009.1',
      dev: '7.1.0-dev.20261009.1',
    });
    expect(tagsAfterHiding(typescript(), 'typescript', ['7.1.0-dev.20261021.1', '7.1.0-dev.20261009.1', '7.1.0-dev.20261006.1']).next).toBe('7.1.0-beta');
  });

  it('may move a prerelease tag to a release below it', () => {
    expect(tagsAfterHiding(react(), 'react', ['19.0.0-rc.1', '19.0.0-rc.0', '19.0.0-beta-26f2496093-20240514'])).toMatchObject({
      rc: '18.3.1',
      beta: '18.3.1',
    });
  });

  it('remove a tag that has nowhere to go', () => {
    const experimental = ['0.0.0-experimental-dc9aed36-20261027', '0.0.0-experimental-8b0da1c6-20260922', '0.0.0-experimental-ff8f88fc-20260915'];
    const tags = tagsAfterHiding(react(), 'react', experimental);
    expect(tags).not.toHaveProperty('experimental');
    expect(tags.latest).toBe('19.3.1');

    const releases = Object.keys(react().versions).filter((v) => !v.includes('-'));
    expect(tagsAfterHiding(react(), 'react', releases)).not.toHaveProperty('latest');
  });

  it('moveDistTags drops tags whose hidden target or candidates are not semver', () => {
    expect(moveDistTags({ latest: 'garbage', next: '2.0.0' }, ['1.0.0', 'not-semver'], new Map([['garbage', ''], ['2.0.0', '']]))).toEqual({ next: '1.0.0' });
    expect(moveDistTags({ latest: '1.0.0' }, ['banana', '0.9.0'], new Map([['1.0.0', '']]))).toEqual({ latest: '0.9.0' });
    // A tag on a version that is not hidden stays, even if the version is missing.
    expect(moveDistTags({ old: '0.0.1' }, ['1.0.0'], new Map([['1.0.0', '']]))).toEqual({ old: '0.0.1' });
  });
});

describe('abbreviated packument', () => {
  const CORGI_VERSION_FIELDS = new Set([
    'name',
    'version',
    'deprecated',
    'dependencies',
    'optionalDependencies',
    'devDependencies',
    'bundleDependencies',
    'peerDependencies',
    'peerDependenciesMeta',
    'acceptDependencies',
    'bin',
    'directories',
    'dist',
    'engines',
    'cpu',
    'os',
    'libc',
    'funding',
    'license',
    '_hasShrinkwrap',
    'hasInstallScript',
  ]);

  it('holds only name, modified, dist-tags and versions', () => {
    const original = watcher();
    const { body, contentType } = render('@parcel/watcher', original, 'abbreviated');
    expect(contentType).toBe('application/vnd.npm.install-v1+json');
    expect(Object.keys(body).sort()).toEqual(['dist-tags', 'modified', 'name', 'versions']);
    expect(body.name).toBe('@parcel/watcher');
    expect(body.modified).toBe('2026-07-20T06:02:27.004Z');
    expect(body['dist-tags']).toEqual({ latest: '2.6.0', alpha: '2.2.1-alpha.0' });
    expect(Object.keys(body.versions)).toEqual(Object.keys(original.versions));
  });

  it('keeps only install-relevant fields of each version', () => {
    for (const doc of [watcher(), typescript(), react()]) {
      const { body } = render(doc.name, doc, 'abbreviated');
      for (const [version, manifest] of Object.entries<Doc>(body.versions)) {
        for (const key of Object.keys(manifest)) expect(CORGI_VERSION_FIELDS.has(key), `${doc.name}@${version} has ${key}`).toBe(true);
        expect(manifest.scripts).toBeUndefined();
        expect(manifest.name).toBe(doc.name);
        expect(manifest.version).toBe(version);
        expect(manifest.dist.integrity).toBe(doc.versions[version].dist.integrity);
        expect(manifest.dist.tarball.startsWith(`${MOUNT}${doc.name}/-/`)).toBe(true);
      }
    }
  });

  it('keeps exactly the corgi fields a real manifest has', () => {
    const { body } = render('@parcel/watcher', watcher(), 'abbreviated');
    expect(Object.keys(body.versions['2.6.0']).sort()).toEqual([
      'dependencies',
      'devDependencies',
      'dist',
      'engines',
      'funding',
      'hasInstallScript',
      'license',
      'name',
      'optionalDependencies',
      'version',
    ]);
    expect(body.versions['2.6.0'].optionalDependencies['@parcel/watcher-linux-x64-glibc']).toBe('2.6.0');
    expect(Object.keys(body.versions['1.12.1']).sort()).toEqual(['dependencies', 'devDependencies', 'dist', 'license', 'name', 'version']);

    const ts = render('typescript', typescript(), 'abbreviated').body;
    expect(ts.versions['7.0.2'].bin).toEqual({ tsc: './bin/tsc' });
    expect(ts.versions['5.9.3'].bin).toEqual({ tsc: './bin/tsc', tsserver: './bin/tsserver' });
    expect(ts.versions['7.0.2'].engines).toEqual(typescript().versions['7.0.2'].engines);
  });

  it('computes hasInstallScript from preinstall, install and postinstall scripts', () => {
    const { body } = render('@parcel/watcher', watcher(), 'abbreviated');
    expect(body.versions['2.6.0'].hasInstallScript).toBe(true); // install: node scripts/build-from-source.js
    expect(body.versions['2.0.0'].hasInstallScript).toBe(true); // install: node-gyp-build
    expect(body.versions['2.4.1']).not.toHaveProperty('hasInstallScript'); // prebuild and build only
    expect(body.versions['1.12.1']).not.toHaveProperty('hasInstallScript'); // prepublish only

    const doc = watcher();
    doc.versions['2.4.1'].scripts = { preinstall: 'node check.js' };
    doc.versions['2.4.0'].scripts = { postinstall: 'node setup.js', test: 'mocha' };
    doc.versions['2.3.0'].scripts = { install: 42, prepare: 'tsc' };
    doc.versions['2.2.0'].hasInstallScript = false;
    doc.versions['2.1.0'].hasInstallScript = true;
    delete doc.versions['2.1.0'].scripts;
    const versions = render('@parcel/watcher', doc, 'abbreviated').body.versions;
    expect(versions['2.4.1'].hasInstallScript).toBe(true);
    expect(versions['2.4.0'].hasInstallScript).toBe(true);
    expect(versions['2.3.0']).not.toHaveProperty('hasInstallScript');
    expect(versions['2.2.0'].hasInstallScript).toBe(false);
    expect(versions['2.1.0'].hasInstallScript).toBe(true);
  });

  it('drops hidden versions and dates modified by what remains', () => {
    const { body } = render('@parcel/watcher', watcher(), 'abbreviated', ['2.6.0', '2.5.6']);
    expect(body.versions['2.6.0']).toBeUndefined();
    expect(body.versions['2.5.6']).toBeUndefined();
    expect(body['dist-tags'].latest).toBe('2.5.4');
    expect(body.modified).toBe('2026-01-12T18:21:17.212Z');
  });

  it('takes a top-level modified when the document has no time.modified', () => {
    const doc = withoutTime(react());
    doc.modified = '2026-10-27T16:10:22.118Z';
    expect(render('react', doc, 'abbreviated').body.modified).toBe('2026-10-27T16:10:22.118Z');
  });
});

describe('one version', () => {
  it('answers a version with its manifest as JSON', () => {
    const { body, contentType } = render('react', react(), 'version:19.2.0');
    expect(contentType).toBe('application/json');
    expect(body).toEqual({ ...react().versions['19.2.0'], dist: { ...react().versions['19.2.0'].dist, tarball: `${MOUNT}react/-/react-19.2.0.tgz` } });
  });

  it('answers a tag with the manifest it points to', () => {
    expect(render('react', react(), 'version:latest').body.version).toBe('19.3.1');
    expect(render('react', react(), 'version:rc').body.version).toBe('19.0.0-rc.1');
    expect(render('@parcel/watcher', watcher(), 'version:alpha').body.dist.tarball).toBe(`${MOUNT}@parcel/watcher/-/watcher-2.2.1-alpha.0.tgz`);
  });

  it('follows a tag where it moved when its target is hidden', () => {
    expect(render('react', react(), 'version:latest', ['19.3.1']).body.version).toBe('19.3.0');
    expect(render('typescript', typescript(), 'version:next', ['7.1.0-dev.20261021.1']).body.version).toBe('7.1.0-dev.20261009.1');
  });

  it.each(['version:9.9.9', 'version:nightly', 'version:constructor', 'version:toString', 'version:hasOwnProperty'])('answers %s with 404', (variant) => {
    const error = renderError('react', react(), variant);
    expect(error.status).toBe(404);
    expect(error.message).not.toMatch(/\n/);
  });

  it('answers a tag left with nowhere to go with 404', () => {
    const experimental = ['0.0.0-experimental-dc9aed36-20261027', '0.0.0-experimental-8b0da1c6-20260922', '0.0.0-experimental-ff8f88fc-20260915'];
    expect(renderError('react', react(), 'version:experimental', experimental).status).toBe(404);
  });
});

describe('packuments as the mirror sends them', () => {
  it('render without time when the document has none', () => {
    const { body } = render('is-number', withoutTime(mirror()), 'full', ['7.0.0']);
    expect(body).not.toHaveProperty('time');
    expect(body).not.toHaveProperty('modified');
    expect(body['dist-tags']).toEqual({ latest: '6.0.0' });
    expect(body.versions['7.0.0']).toBeUndefined();
    expect(body.versions['6.0.0'].dist.tarball).toBe(`${MOUNT}is-number/-/is-number-6.0.0.tgz`);

    const abbreviated = render('is-number', withoutTime(mirror()), 'abbreviated').body;
    expect(Object.keys(abbreviated).sort()).toEqual(['dist-tags', 'name', 'versions']);
    expect(Object.keys(abbreviated.versions)).toHaveLength(15);
  });

  it('render the mirror\'s own time without inventing created or modified', () => {
    const original = mirror();
    const { body } = render('is-number', original, 'full', ['7.0.0']);
    const { '7.0.0': _hidden, ...rest } = original.time;
    expect(body.time).toEqual(rest);
    expect(render('is-number', original, 'abbreviated', ['7.0.0']).body).not.toHaveProperty('modified');
  });
});

describe('policy restrictions', () => {
  it('lists hidden versions with their reasons where npm looks for them, in both forms', () => {
    const reasons = new Map([
      ['19.3.1', 'react@19.3.1 was published at 2026-10-27T18:33:20.560Z, inside the 3d cooldown set by cooldown.ecosystems.npm'],
      ['19.3.0', 'react@19.3.0 is too fresh as well'],
    ]);
    const full = render('react', react(), 'full', reasons).body;
    expect(Object.keys(full.policyRestrictions.versions).sort()).toEqual(['19.3.0', '19.3.1']);
    expect(full.policyRestrictions.message).toBe([...reasons.values()].join('\n'));
    expect(full.policyRestrictions.versions['19.3.1'].dist.tarball).toBe(`${MOUNT}react/-/react-19.3.1.tgz`);
    expect(full.versions['19.3.1']).toBeUndefined();
    const abbreviated = render('react', react(), 'abbreviated', reasons).body;
    expect(Object.keys(abbreviated.policyRestrictions.versions).sort()).toEqual(['19.3.0', '19.3.1']);
    expect(abbreviated.policyRestrictions.versions['19.3.1']).not.toHaveProperty('readme');
    expect(abbreviated.policyRestrictions.versions['19.3.1']).not.toHaveProperty('description');
  });

  it('is absent when nothing is hidden', () => {
    expect(render('react', react(), 'full').body).not.toHaveProperty('policyRestrictions');
    expect(render('react', react(), 'abbreviated').body).not.toHaveProperty('policyRestrictions');
  });

  it('drops modified when every version is hidden', () => {
    const doc = react();
    const all = Object.keys(doc.versions);
    expect(render('react', doc, 'abbreviated', all).body).not.toHaveProperty('modified');
    expect(render('react', { ...doc, modified: doc.time.modified }, 'full', all).body).not.toHaveProperty('modified');
  });
});

describe('errors for npm clients', () => {
  it('are JSON with an error field', () => {
    expect(npm.errorBody(404, 'react@99.0.0 is not in the registry')).toEqual({
      contentType: 'application/json',
      body: JSON.stringify({ error: 'react@99.0.0 is not in the registry' }),
    });
    expect(npm.artifactContentType('react/-/react-19.3.1.tgz')).toBe('application/octet-stream');
  });
});
