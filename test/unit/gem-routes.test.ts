import { describe, expect, it } from 'vitest';
import { gem } from '../../shared/ecosystems/gem/index.js';
import { splitFullName } from '../../shared/ecosystems/gem/names.js';
import { routeTester } from '../helpers/route-tester.js';

const { route, metadata, artifact, refusal } = routeTester(gem);

describe('RubyGems routes', () => {
  it('routes the compact index: /info/<name> per gem, /versions and /names for the registry', () => {
    expect(metadata('info/rack')).toEqual({
      kind: 'metadata',
      package: 'rack',
      docKey: 'info/rack',
      upstreamPath: 'info/rack',
      upstreamAccept: 'text/plain',
      variant: 'info',
    });
    expect(metadata('info/RedCloth').package).toBe('RedCloth');
    expect(metadata('info/net-http-persistent').package).toBe('net-http-persistent');
    const versions = metadata('versions');
    expect(versions).toMatchObject({ docKey: 'versions', upstreamPath: 'versions', variant: 'versions' });
    // Not a gem name, so it can never share rows with a gem called "versions".
    expect(versions.package).toBe('/versions');
    expect(metadata('names', 'HEAD')).toMatchObject({ docKey: 'names', variant: 'names' });
  });

  it('answers the mount itself from /versions, the document that proves a compact index', () => {
    const root = metadata('', 'HEAD');
    expect(root.docKey).toBe(metadata('versions').docKey);
    expect(root.variant).toBe('root');
  });

  it('routes the Marshal index files', () => {
    for (const file of ['specs.4.8.gz', 'latest_specs.4.8.gz', 'prerelease_specs.4.8.gz']) {
      expect(metadata(file)).toMatchObject({ docKey: file, upstreamPath: file, variant: file });
    }
  });

  it('routes gems and quick specs to their gem, declared by its /info file', () => {
    const file = artifact('gems/rack-3.0.9.gem');
    expect(file).toEqual({ kind: 'artifact', package: 'rack', path: 'gems/rack-3.0.9.gem', upstreamPath: 'gems/rack-3.0.9.gem', metadata: metadata('info/rack') });
    expect(artifact('gems/nokogiri-1.16.0-x86_64-linux.gem').package).toBe('nokogiri');
    expect(artifact('gems/net-http-persistent-4.0.2.gem').package).toBe('net-http-persistent');
    const spec = artifact('quick/Marshal.4.8/activesupport-7.2.0.beta1.gemspec.rz');
    expect(spec).toMatchObject({ package: 'activesupport', path: 'quick/Marshal.4.8/activesupport-7.2.0.beta1.gemspec.rz', metadata: { docKey: 'info/activesupport' } });
  });

  it('splits full names whose gem name holds digits and dashes', () => {
    expect(splitFullName('net-http-2-0.4.1')).toEqual({ name: 'net-http-2', version: '0.4.1' });
    expect(splitFullName('nokogiri-1.16.0-universal-darwin-21')).toEqual({ name: 'nokogiri', version: '1.16.0-universal-darwin-21' });
    expect(splitFullName('ruby-2fa-1.0.0')).toEqual({ name: 'ruby-2fa', version: '1.0.0' });
    expect(splitFullName('s3-0.3.29')).toEqual({ name: 's3', version: '0.3.29' });
    expect(splitFullName('noversion')).toBeUndefined();
  });

  it('refuses traversal, bad names and bad file names with 400', () => {
    for (const path of ['info/..', 'info/.hidden', 'info/a%2fb', 'info/%2e%2e', 'info/has space', `info/${'a'.repeat(201)}`]) {
      const error = refusal(path);
      expect(error.status, path).toBe(400);
      expect(error.message, path).toMatch(/invalid gem name/);
    }
    for (const path of ['gems/..%2f..%2fetc%2fpasswd.gem', 'gems/rack.gem', 'gems/rack-3.0.9.tgz', 'quick/Marshal.4.8/rack-3.0.9.gemspec', 'gems/-1.0.0.gem']) {
      const error = refusal(path);
      expect(error.status, path).toBe(400);
      expect(error.message, path).toMatch(/invalid gem (file )?name/);
    }
    expect(refusal('info/%zz').status).toBe(400);
  });

  it('answers 404 for paths a RubyGems registry does not have', () => {
    for (const path of ['gems', 'info', 'info/rack/extra', 'api/v1/dependencies', 'quick/Marshal.4.7/rack-1.0.0.gemspec.rz', '../versions', 'specs.4.8']) {
      const error = refusal(path);
      expect(error.status, path).toBe(404);
      expect(error.message, path).toContain('not a RubyGems registry path');
    }
  });

  it('is read-only: gem push gets 405 with Allow', () => {
    const error = refusal('api/v1/gems', 'POST');
    expect(error.status).toBe(405);
    expect(error.message).toContain('read-only RubyGems registry');
    expect(error.headers.allow).toBe('GET, HEAD');
  });

  it('formats errors as one line of plain text, and as the reason phrase RubyGems prints for a failed download', () => {
    expect(gem.errorBody(403, 'refused by policy: x')).toEqual({ contentType: 'text/plain; charset=utf-8', body: 'refused by policy: x\n', statusMessage: 'refused by policy: x' });
  });
});
