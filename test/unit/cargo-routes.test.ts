import { describe, expect, it } from 'vitest';
import { routeCargo } from '../../shared/ecosystems/cargo/routes.js';
import { HttpError } from '../../shared/http-error.js';

const GET = { method: 'GET', accept: undefined, query: '' };

function refusal(path: string, method = 'GET'): { status: number; message: string } {
  try {
    routeCargo(path, { ...GET, method });
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error(`${path} was accepted`);
}

describe('Cargo routes', () => {
  it('serves config.json as a metadata document of its own', () => {
    expect(routeCargo('config.json', GET)).toEqual({
      kind: 'metadata',
      package: 'config.json',
      docKey: 'config.json',
      upstreamPath: 'config.json',
      upstreamAccept: 'application/json',
      variant: 'config',
    });
  });

  it('maps index paths of every name length to the crate and the same upstream path', () => {
    const cases: Array<[string, string]> = [
      ['1/a', 'a'],
      ['2/cc', 'cc'],
      ['3/s/syn', 'syn'],
      ['se/rd/serde', 'serde'],
      ['to/ki/tokio-util', 'tokio-util'],
      ['fo/o_/foo_bar', 'foo_bar'],
    ];
    for (const [path, name] of cases) {
      expect(routeCargo(path, GET), path).toEqual({ kind: 'metadata', package: name, docKey: `index/${name}`, upstreamPath: path, upstreamAccept: '*/*', variant: 'index' });
    }
  });

  it('routes downloads to one artifact per crate and version, declared by the index file', () => {
    const route = routeCargo('api/v1/crates/Inflector/0.11.4/download', GET);
    expect(route).toEqual({
      kind: 'artifact',
      package: 'inflector',
      path: 'api/v1/crates/inflector/0.11.4/download',
      metadata: { kind: 'metadata', package: 'inflector', docKey: 'index/inflector', upstreamPath: 'in/fl/inflector', upstreamAccept: '*/*', variant: 'index' },
    });
    expect(route.kind === 'artifact' && route.upstreamPath).toBe(undefined);
  });

  it('accepts pre-release and build metadata in versions, percent-encoded or not', () => {
    expect(routeCargo('api/v1/crates/serde/1.0.0-rc.1/download', GET)).toMatchObject({ path: 'api/v1/crates/serde/1.0.0-rc.1/download' });
    expect(routeCargo('api/v1/crates/openssl-src/300.3.1%2B3.3.1/download', GET)).toMatchObject({ path: 'api/v1/crates/openssl-src/300.3.1+3.3.1/download' });
    expect(routeCargo('api/v1/crates/openssl-src/300.3.1+3.3.1/download', GET)).toMatchObject({ path: 'api/v1/crates/openssl-src/300.3.1+3.3.1/download' });
  });

  it('refuses index paths that are not where the index keeps the name', () => {
    expect(refusal('se/rd/Serde')).toEqual({ status: 404, message: 'Cargo index paths are lowercase: /cargo/se/rd/serde' });
    expect(refusal('SE/RD/SERDE')).toEqual({ status: 404, message: 'Cargo index paths are lowercase: /cargo/se/rd/serde' });
    expect(refusal('se/rv/serde')).toEqual({ status: 404, message: 'the index keeps serde at /cargo/se/rd/serde, not /cargo/se/rv/serde' });
    expect(refusal('2/syn')).toEqual({ status: 404, message: 'the index keeps syn at /cargo/3/s/syn, not /cargo/2/syn' });
    expect(refusal('serde').status).toBe(404);
    expect(refusal('se/rd/se/serde').status).toBe(404);
    expect(refusal('').status).toBe(404);
  });

  it('refuses traversal and names no registry allows', () => {
    expect(refusal('se/rd/..')).toEqual({ status: 400, message: 'invalid crate name ".."' });
    expect(refusal('..%2f..%2fetc/pa/passwd').status).toBe(404);
    expect(refusal('se/rd/..%2f..%2fetc')).toEqual({ status: 400, message: 'invalid crate name "../../etc"' });
    expect(refusal('%2e%2e/%2e%2e/etc').status).toBe(404);
    expect(refusal('1/_')).toEqual({ status: 400, message: 'invalid crate name "_"' });
    expect(refusal('3/9/9ab')).toEqual({ status: 400, message: 'invalid crate name "9ab"' });
    expect(refusal('ha/s /has space').status).toBe(400);
    expect(refusal(`aa/aa/${'a'.repeat(65)}`).status).toBe(400);
    expect(refusal('se/rd/%zz')).toEqual({ status: 400, message: 'malformed percent-encoding in path' });
    expect(refusal('api/v1/crates/../1.0.0/download')).toEqual({ status: 400, message: 'invalid crate name ".."' });
    expect(refusal('api/v1/crates/serde/..%2f..%2f1.0.0/download')).toEqual({ status: 400, message: 'invalid crate version "../../1.0.0"' });
    expect(refusal('api/v1/crates/serde/1.0/download')).toEqual({ status: 400, message: 'invalid crate version "1.0"' });
    expect(refusal('api/v1/crates/serde/v1.0.0/download').status).toBe(400);
    expect(refusal('api/v1/crates/serde/01.0.0/download').status).toBe(400);
  });

  it('serves no other part of the web API, and no writes', () => {
    expect(refusal('api/v1/crates').status).toBe(404);
    expect(refusal('api/v1/crates/serde').message).toMatch(/^pkgproxy serves Cargo's index and downloads, not the registry web API/);
    expect(refusal('api/v1/crates/serde/1.0.0/readme').status).toBe(404);
    expect(refusal('api/v1/crates/new', 'PUT')).toEqual({ status: 405, message: 'PUT is not supported: pkgproxy is a read-only Cargo registry; publish to the upstream registry' });
    expect(refusal('api/v1/crates/serde/1.0.0/yank', 'DELETE').status).toBe(405);
    expect(refusal('se/rd/serde', 'POST').status).toBe(405);
    expect(routeCargo('se/rd/serde', { ...GET, method: 'HEAD' }).kind).toBe('metadata');
  });
});
