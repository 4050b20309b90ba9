import { describe, expect, it } from 'vitest';
import { createGo } from '../../shared/ecosystems/go/index.js';
import type { MetadataRoute } from '../../shared/ecosystems/types.js';
import { routeTester } from '../helpers/route-tester.js';

const go = createGo({ private: ['*.corp.example.com', 'github.com/acme/*'] });

const { route, metadata, artifact, refusal } = routeTester(go);

const LIST_OF_TOML: MetadataRoute = {
  kind: 'metadata',
  package: 'github.com/BurntSushi/toml',
  docKey: 'list/github.com/BurntSushi/toml',
  upstreamPath: 'github.com/!burnt!sushi/toml/@v/list',
  upstreamAccept: 'text/plain',
  variant: 'list',
};

describe('Go module proxy routes', () => {
  it('routes @v/list to the version list, with the case-escaped path decoded', () => {
    expect(metadata('github.com/!burnt!sushi/toml/@v/list')).toEqual(LIST_OF_TOML);
  });

  it('takes "!" percent-encoded, as the go command sends it', () => {
    expect(metadata('github.com/%21burnt%21sushi/toml/@v/list')).toEqual(LIST_OF_TOML);
    expect(artifact('github.com/%21burnt%21sushi/toml/@v/v1.3.2.zip').path).toBe('github.com/!burnt!sushi/toml/@v/v1.3.2.zip');
  });

  it('routes .info, .mod and .zip of a version to self-declared artifacts checked against the list', () => {
    for (const extension of ['info', 'mod', 'zip']) {
      expect(artifact(`github.com/!burnt!sushi/toml/@v/v1.3.2.${extension}`)).toEqual({
        kind: 'artifact',
        package: 'github.com/BurntSushi/toml',
        path: `github.com/!burnt!sushi/toml/@v/v1.3.2.${extension}`,
        upstreamPath: `github.com/!burnt!sushi/toml/@v/v1.3.2.${extension}`,
        metadata: LIST_OF_TOML,
        self: { version: 'v1.3.2' },
      });
    }
  });

  it('decodes escaped versions, pseudo-versions and +incompatible', () => {
    expect(artifact('example.com/m/@v/v1.0.0-!r!c1.zip').self).toEqual({ version: 'v1.0.0-RC1' });
    expect(artifact('golang.org/x/exp/@v/v0.0.0-20231006140011-7918f672742d.mod').self).toEqual({ version: 'v0.0.0-20231006140011-7918f672742d' });
    expect(artifact('github.com/docker/docker/@v/v20.10.24+incompatible.zip').self).toEqual({ version: 'v20.10.24+incompatible' });
  });

  it('routes @latest and version queries to .info documents that are revalidated', () => {
    expect(metadata('github.com/!burnt!sushi/toml/@latest')).toEqual({
      kind: 'metadata',
      package: 'github.com/BurntSushi/toml',
      docKey: 'latest/github.com/BurntSushi/toml',
      upstreamPath: 'github.com/!burnt!sushi/toml/@latest',
      upstreamAccept: 'application/json',
      variant: 'info',
    });
    expect(metadata('golang.org/x/exp/@v/master.info')).toEqual({
      kind: 'metadata',
      package: 'golang.org/x/exp',
      docKey: 'query/golang.org/x/exp@master',
      upstreamPath: 'golang.org/x/exp/@v/master.info',
      upstreamAccept: 'application/json',
      variant: 'info',
    });
    expect(metadata('example.com/m/@v/!feature-x.info').upstreamPath).toBe('example.com/m/@v/!feature-x.info');
    expect(metadata('example.com/m/@v/v1.2.info').docKey).toBe('query/example.com/m@v1.2');
  });

  it('passes the checksum database through, tiles and text kept apart', () => {
    expect(metadata('sumdb/sum.golang.org/supported')).toEqual({
      kind: 'metadata',
      package: 'sumdb/sum.golang.org/supported',
      docKey: 'sumdb/sum.golang.org/supported',
      upstreamPath: 'sumdb/sum.golang.org/supported',
      upstreamAccept: '*/*',
      variant: 'sumdb-text',
    });
    expect(metadata('sumdb/sum.golang.org/latest').variant).toBe('sumdb-text');
    const lookup = metadata('sumdb/sum.golang.org/lookup/github.com/!burnt!sushi/toml@v1.3.2');
    expect(lookup.upstreamPath).toBe('sumdb/sum.golang.org/lookup/github.com/!burnt!sushi/toml@v1.3.2');
    expect(lookup.variant).toBe('sumdb-text');
    for (const tile of ['tile/8/0/x123/456', 'tile/8/1/000.p/12', 'tile/8/data/x004/x178/213', 'tile/8/2/000']) {
      expect(metadata(`sumdb/sum.golang.org/${tile}`)).toMatchObject({ upstreamPath: `sumdb/sum.golang.org/${tile}`, variant: 'sumdb-tile' });
    }
  });

  it('answers 404 for modules matching go.private, naming the pattern', () => {
    for (const path of ['git.corp.example.com/team/tool/@v/list', 'github.com/acme/widget/@v/v1.0.0.zip', 'github.com/acme/widget/v2/@latest']) {
      const error = refusal(path);
      expect(error.status, path).toBe(404);
      expect(error.message).toContain('go.private');
    }
    expect(refusal('git.corp.example.com/team/tool/@v/list').message).toContain('"*.corp.example.com"');
    expect(metadata('github.com/acmeco/widget/@v/list').package).toBe('github.com/acmeco/widget');
    expect(metadata('corp.example.com/tool/@v/list').package).toBe('corp.example.com/tool');
  });

  it('refuses unescaped capitals, bad escapes and bad module paths with 400', () => {
    for (const path of [
      'github.com/BurntSushi/toml/@v/list',
      'github.com/!!x/y/@v/list',
      'github.com/x!/y/@v/list',
      'github.com/!1/y/@v/list',
      'localhost/m/@v/list',
      'Example.com/m/@v/list',
      '-x.com/m/@v/list',
      'example.com/.hidden/@v/list',
      'example.com/m./@v/list',
      'example.com//m/@v/list',
      'example.com/a b/@v/list',
      'example.com/m/@v/v1.0.0-!r!c1!.zip',
    ]) {
      expect(refusal(path).status, path).toBe(400);
    }
  });

  it('refuses traversal, encoded slashes and malformed escapes with 400', () => {
    for (const path of [
      'example.com/../m/@v/list',
      'example.com/%2e%2e/m/@v/list',
      'example.com/m/@v/..%2f..%2fsecret.zip',
      'example.com%2fm/@v/list',
      'example.com/m%5cx/@v/list',
      'example.com/m/@v/%zz.info',
      'sumdb/sum.golang.org/lookup/example.com/../m@v1.0.0',
      'sumdb/sum.golang.org/tile/8/0/../../x',
      'sumdb/../../etc/passwd',
    ]) {
      expect(refusal(path).status, path).toBe(400);
    }
  });

  it('refuses non-canonical versions for .mod and .zip, and junk queries', () => {
    for (const path of ['example.com/m/@v/v1.2.zip', 'example.com/m/@v/1.0.0.mod', 'example.com/m/@v/v01.0.0.zip', 'example.com/m/@v/v1.0.0-01.zip', 'example.com/m/@v/latest.zip', 'example.com/m/@v/.x.info']) {
      expect(refusal(path).status, path).toBe(400);
    }
  });

  it('answers 404 for paths that are not part of the protocol', () => {
    for (const path of ['', 'example.com/m', 'example.com/m/@v/', 'example.com/m/@v/v1.0.0.tar.gz', 'example.com/m/@v/v1.0.0', '@v/list', 'example.com/m/@latest/x', 'sumdb/sum.golang.org/other', 'sumdb/sum.golang.org/lookup']) {
      const status = refusal(path).status;
      expect([400, 404], path).toContain(status);
    }
    expect(refusal('example.com/m/@v/v1.0.0.tar.gz').status).toBe(404);
    expect(refusal('sumdb/sum.golang.org/other').status).toBe(404);
  });

  it('refuses writes with 405 and an Allow header', () => {
    for (const method of ['PUT', 'POST', 'DELETE']) {
      const error = refusal('example.com/m/@v/v1.0.0.zip', method);
      expect(error.status).toBe(405);
      expect(error.headers).toEqual({ allow: 'GET, HEAD' });
    }
    expect(route('example.com/m/@v/list', 'HEAD').kind).toBe('metadata');
  });

  it('gives artifacts the content types the go command expects, and errors as text it prints', () => {
    expect(go.artifactContentType('example.com/m/@v/v1.0.0.zip')).toBe('application/zip');
    expect(go.artifactContentType('example.com/m/@v/v1.0.0.mod')).toBe('text/plain; charset=utf-8');
    expect(go.artifactContentType('example.com/m/@v/v1.0.0.info')).toBe('application/json');
    expect(go.errorBody(403, 'refused by policy: x')).toEqual({ contentType: 'text/plain; charset=utf-8', body: 'refused by policy: x\n' });
  });
});
