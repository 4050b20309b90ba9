import { describe, expect, it } from 'vitest';
import { npm } from '../../shared/ecosystems/npm/index.js';
import type { ArtifactRoute, MetadataRoute, PassthroughRoute } from '../../shared/ecosystems/types.js';
import { routeTester } from '../helpers/route-tester.js';

/** What `npm install` sends (npm-registry-fetch). */
const NPM_ACCEPT = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

const { route, metadata, artifact, refusal } = routeTester(npm);

describe('npm packument routes', () => {
  it('routes an unscoped name to its packument', () => {
    expect(metadata('react')).toEqual({
      kind: 'metadata',
      package: 'react',
      docKey: 'packument/react',
      upstreamPath: 'react',
      upstreamAccept: 'application/json',
      variant: 'full',
    });
  });

  it('gives @scope/name, @scope%2fname and @scope%2Fname the same document', () => {
    const expected: MetadataRoute = {
      kind: 'metadata',
      package: '@parcel/watcher',
      docKey: 'packument/@parcel/watcher',
      upstreamPath: '@parcel%2fwatcher',
      upstreamAccept: 'application/json',
      variant: 'full',
    };
    expect(metadata('@parcel/watcher')).toEqual(expected);
    expect(metadata('@parcel%2fwatcher')).toEqual(expected);
    expect(metadata('@parcel%2Fwatcher')).toEqual(expected);
    // An encoded "@" decodes to the same name as long as the slash is literal.
    expect(metadata('%40parcel/watcher')).toEqual(expected);
  });

  it('accepts legacy names with capitals and the characters npm allows', () => {
    expect(metadata('JSONStream').package).toBe('JSONStream');
    expect(metadata('lodash.merge').package).toBe('lodash.merge');
    expect(metadata('@types/node').package).toBe('@types/node');
    expect(metadata('@a.b-c~d/x_y').package).toBe('@a.b-c~d/x_y');
  });

  it('accepts names of exactly 214 characters, scope included', () => {
    expect(metadata('a'.repeat(214)).package).toHaveLength(214);
    const scoped = `@s/${'a'.repeat(211)}`;
    expect(metadata(scoped).package).toBe(scoped);
  });
});

describe('abbreviated or full packument by Accept', () => {
  it('serves the abbreviated form to npm', () => {
    const r = metadata('react', { accept: NPM_ACCEPT });
    expect(r.variant).toBe('abbreviated');
    // Both forms are rendered from the same full upstream document.
    expect(r.docKey).toBe(metadata('react').docKey);
    expect(r.upstreamAccept).toBe('application/json');
  });

  it.each([
    ['application/vnd.npm.install-v1+json', 'abbreviated'],
    ['application/json', 'full'],
    ['application/json; q=1.0, */*', 'full'],
    ['*/*', 'full'],
    ['application/vnd.npm.install-v1+json; q=0, application/json', 'full'],
    ['application/vnd.npm.install-v1+json;q=0.0', 'full'],
    ['application/vnd.npm.install-v1+jsonx', 'full'],
  ])('Accept %j gives the %s form', (accept, variant) => {
    expect(metadata('react', { accept }).variant).toBe(variant);
  });

  it('gives the full form without an Accept header', () => {
    expect(metadata('react', { accept: undefined }).variant).toBe('full');
    expect(metadata('@parcel%2fwatcher', { accept: '' }).variant).toBe('full');
  });

  it('answers HEAD like GET', () => {
    expect(metadata('react', { method: 'HEAD', accept: NPM_ACCEPT }).variant).toBe('abbreviated');
  });
});

describe('one version or tag', () => {
  it.each([
    ['react/19.3.1', 'react', 'version:19.3.1'],
    ['react/latest', 'react', 'version:latest'],
    ['react/19.0.0-rc.1', 'react', 'version:19.0.0-rc.1'],
    ['typescript/7.1.0-dev.20261021.1', 'typescript', 'version:7.1.0-dev.20261021.1'],
    ['@parcel/watcher/2.6.0', '@parcel/watcher', 'version:2.6.0'],
    ['@parcel%2fwatcher/latest', '@parcel/watcher', 'version:latest'],
    ['@parcel%2Fwatcher/1.0.0%2Bbuild.5', '@parcel/watcher', 'version:1.0.0+build.5'],
  ])('%s is %s in variant %s', (path, pkg, variant) => {
    const r = metadata(path, { accept: NPM_ACCEPT });
    expect(r.package).toBe(pkg);
    expect(r.variant).toBe(variant);
    expect(r.docKey).toBe(`packument/${pkg}`);
  });

  it.each(['react/^19.0.0', 'react/%5E19', 'react/.hidden', 'react/-latest', 'react/1.0.0 ', `react/${'1'.repeat(257)}`])(
    'refuses the version spec in %j with 400',
    (path) => {
      const error = refusal(path);
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/^invalid npm version or tag /);
    },
  );
});

describe('tarballs', () => {
  it('routes an unscoped tarball to its packument', () => {
    const r = artifact('react/-/react-19.3.1.tgz');
    expect(r).toEqual({
      kind: 'artifact',
      package: 'react',
      path: 'react/-/react-19.3.1.tgz',
      upstreamPath: 'react/-/react-19.3.1.tgz',
      metadata: metadata('react'),
    });
    expect(r.metadata.variant).toBe('full');
  });

  it('routes a scoped tarball, slash literal or encoded, to one canonical path', () => {
    const expected: ArtifactRoute = {
      kind: 'artifact',
      package: '@parcel/watcher',
      path: '@parcel/watcher/-/watcher-2.6.0.tgz',
      upstreamPath: '@parcel/watcher/-/watcher-2.6.0.tgz',
      metadata: {
        kind: 'metadata',
        package: '@parcel/watcher',
        docKey: 'packument/@parcel/watcher',
        upstreamPath: '@parcel%2fwatcher',
        upstreamAccept: 'application/json',
        variant: 'full',
      },
    };
    expect(artifact('@parcel/watcher/-/watcher-2.6.0.tgz')).toEqual(expected);
    expect(artifact('@parcel%2fwatcher/-/watcher-2.6.0.tgz')).toEqual(expected);
    expect(artifact('@parcel%2Fwatcher/-/watcher-2.6.0.tgz')).toEqual(expected);
  });

  it('keeps prerelease and build parts of a file name', () => {
    expect(artifact('react/-/react-0.0.0-experimental-dc9aed36-20261027.tgz').path).toBe('react/-/react-0.0.0-experimental-dc9aed36-20261027.tgz');
    expect(artifact('a/-/a-1.0.0%2Bbuild.1.tgz').path).toBe('a/-/a-1.0.0+build.1.tgz');
  });

  it.each(['react/-/react-19.3.1.tar', 'react/-/.react-19.3.1.tgz', 'react/-/..tgz', 'react/-/react..1.tgz', 'react/-/a%2f..%2f..%2fetc.tgz', 'react/-/a b.tgz'])(
    'refuses the file name in %j with 400',
    (path) => {
      const error = refusal(path);
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/^invalid npm tarball file name /);
    },
  );
});

describe('registry API pass-through', () => {
  it('passes search through with its query', () => {
    expect(route('-/v1/search', { query: '?text=react&size=20' })).toEqual<PassthroughRoute>({
      kind: 'passthrough',
      upstreamPath: '-/v1/search?text=react&size=20',
    });
  });

  it('passes audit POSTs through', () => {
    expect(route('-/npm/v1/security/advisories/bulk', { method: 'POST', accept: 'application/json' })).toEqual({
      kind: 'passthrough',
      upstreamPath: '-/npm/v1/security/advisories/bulk',
    });
    expect(route('-/npm/v1/security/audits/quick', { method: 'POST', query: '?x=1' })).toEqual({
      kind: 'passthrough',
      upstreamPath: '-/npm/v1/security/audits/quick?x=1',
    });
  });

  it('passes ping through for GET and HEAD', () => {
    expect(route('-/ping', { query: '?write=true' })).toEqual({ kind: 'passthrough', upstreamPath: '-/ping?write=true' });
    expect(route('-/ping', { method: 'HEAD' }).kind).toBe('passthrough');
  });

});

describe('methods', () => {
  it.each(['PUT', 'DELETE', 'PATCH', 'POST'])('refuses %s on a package path with 405', (method) => {
    for (const path of ['react', '@parcel%2fwatcher', 'react/-/react-19.3.1.tgz', 'react/-rev/3-abc']) {
      const error = refusal(path, { method });
      expect(error.status).toBe(405);
      expect(error.message).toMatch(new RegExp(`^${method} is not supported`));
      expect(error.headers.allow).toBe('GET, HEAD');
    }
  });

  it.each(['PUT', 'DELETE', 'PATCH'])('refuses %s on an API path with 405, naming POST as allowed there', (method) => {
    const error = refusal('-/user/org.couchdb.user:bob', { method });
    expect(error.status).toBe(405);
    expect(error.headers.allow).toBe('GET, HEAD, POST');
  });
});

describe('refused paths', () => {
  it.each([
    ['@Babel/core', 'uppercase scope'],
    ['.bin', 'leading dot'],
    ['_design', 'leading underscore'],
    ['@babel/.core', 'leading dot after the scope'],
    ['@babel/_core', 'leading underscore after the scope'],
    ['@.babel/core', 'scope with a leading dot'],
    ['foo%20bar', 'space'],
    ['foo bar', 'raw space'],
    ['foo%3Cscript%3E', 'angle brackets'],
    ['a'.repeat(215), 'more than 214 characters'],
    [`@s/${'a'.repeat(212)}`, 'scoped, more than 214 characters'],
    ['..', 'dot-dot'],
    ['%2e%2e', 'encoded dot-dot'],
    ['%2E%2E/etc', 'encoded dot-dot with a version'],
    ['@babel/..', 'dot-dot as the name of a scope'],
    ['@babel/%2e%2e', 'encoded dot-dot as the name of a scope'],
    ['react%2flatest', 'encoded slash instead of a version slash'],
    ['react%2F-%2Freact-19.3.1.tgz', 'encoded slashes in a tarball path'],
    ['@babel%2fcode-frame%2f7.0.0', 'two encoded slashes'],
    ['@babel/code-frame%2f-%2fcode-frame-7.0.0.tgz', 'encoded slashes after a scoped name'],
    ['@babel/code%2fframe', 'encoded slash inside a scoped name'],
  ])('refuses %j (%s) with 400', (path) => {
    const error = refusal(path);
    expect(error.status).toBe(400);
  });

  it('cuts long names short in the message', () => {
    const error = refusal('a'.repeat(5000));
    expect(error.message.length).toBeLessThan(200);
  });

  it.each(['foo%zz', '%', 'foo%E0%A4%A', '@babel%2fcode-frame/%ZZ', 'react/-/react-%G1.tgz'])('refuses malformed percent-encoding in %j with 400', (path) => {
    const error = refusal(path);
    expect(error.status).toBe(400);
    expect(error.message).toBe('malformed percent-encoding in path');
  });

  it.each([
    '',
    '@babel',
    '@babel/',
    'react/',
    'react//19.3.1',
    'react/19.3.1/extra',
    'react/-/',
    'react/-/a/b.tgz',
    'react/x/react-1.0.0.tgz',
    '%40babel%2fcode-frame',
    '/react',
  ])('answers %j with 400 or 404, not a generic error', (path) => {
    expect([400, 404]).toContain(refusal(path).status);
  });

  it('answers paths that are not registry paths with 404', () => {
    expect(refusal('react/19.3.1/extra').status).toBe(404);
    expect(refusal('react//19.3.1').status).toBe(404);
    expect(refusal('@babel').status).toBe(404);
    expect(refusal('').status).toBe(404);
  });
});
