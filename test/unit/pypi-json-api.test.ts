import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { VersionSeen } from '../../shared/db/versions.js';
import { pypi } from '../../shared/ecosystems/pypi/index.js';
import { jsonApiRoute, projectRoute } from '../../shared/ecosystems/pypi/routes.js';
import type { CompletionContext, UpstreamDocument } from '../../shared/ecosystems/types.js';
import { HttpError } from '../../shared/http-error.js';

const MOUNT = 'http://proxy.test:8080/pypi/';

type Doc = Record<string, any>;

const body = readFileSync(new URL('../fixtures/pypi/requests.json', import.meta.url));
const parsed = pypi.parse(jsonApiRoute('requests'), body, { url: 'https://pypi.org/pypi/requests/json' });

function render(hidden: string[], version?: string): Doc {
  const route = jsonApiRoute('requests', version);
  const doc = version === undefined ? parsed : pypi.parse(route, Buffer.from(JSON.stringify(releaseDocument(version))));
  return JSON.parse(pypi.render(route, doc, { mountUrl: MOUNT, hidden: new Map(hidden.map((v) => [v, `requests@${v} is too fresh`])) }).body.toString());
}

/** /pypi/<project>/<version>/json: info and urls of one release, releases empty (as PyPI answers today). */
function releaseDocument(version: string): Doc {
  const doc = JSON.parse(body.toString());
  return { ...doc, info: { ...doc.info, version }, releases: {}, urls: doc.releases[version] };
}

describe('parsing the JSON API', () => {
  it('dates versions from upload_time_iso_8601, keeps yanked, and declares files with every digest it can verify', () => {
    expect(parsed.versions).toEqual([
      { version: '2.31.0', publishedAt: Date.parse('2023-05-22T15:12:42.313Z'), yanked: false },
      { version: '2.32.0', publishedAt: Date.parse('2024-05-20T15:22:07.165Z'), yanked: true },
      { version: '2.32.3', publishedAt: Date.parse('2024-05-29T15:37:47.027Z'), yanked: false },
    ]);
    const sdist = parsed.artifacts.find((a) => a.path === 'files/requests/requests-2.31.0.tar.gz')!;
    expect(sdist.upstreamUrl).toMatch(/^https:\/\/files\.pythonhosted\.org\/packages\/.+\/requests-2\.31\.0\.tar\.gz$/);
    expect(sdist.checksums.map((c) => c.algorithm).sort()).toEqual(['md5', 'sha256']);
  });

  it('reads upload_time as UTC when there is no ISO 8601 form', () => {
    const doc = JSON.parse(body.toString());
    for (const file of doc.releases['2.31.0']) delete file.upload_time_iso_8601;
    const versions = pypi.parse(jsonApiRoute('requests'), Buffer.from(JSON.stringify(doc))).versions;
    expect(versions[0]!.publishedAt).toBe(Date.parse('2023-05-22T15:12:42Z'));
  });

  it('refuses another project and bodies without info', () => {
    expect(() => pypi.parse(jsonApiRoute('urllib3'), body)).toThrow(/asked for "urllib3"/);
    expect(() => pypi.parse(jsonApiRoute('requests'), Buffer.from('{"releases": {}}'))).toThrow(/no info\.name/);
    expect(() => pypi.parse(jsonApiRoute('requests'), Buffer.from('<html>'))).toThrow(/not JSON/);
  });
});

describe('rendering the JSON API', () => {
  it('points file URLs at the proxy and keeps everything else', () => {
    const doc = render([]);
    const original = JSON.parse(body.toString());
    expect(doc.info).toEqual(original.info);
    expect(Object.keys(doc.releases)).toEqual(['2.31.0', '2.32.0', '2.32.3', '0.0.1']);
    expect(doc.urls.map((f: Doc) => f.url)).toEqual([`${MOUNT}files/requests/requests-2.32.3-py3-none-any.whl`, `${MOUNT}files/requests/requests-2.32.3.tar.gz`]);
    expect(doc.releases['2.32.0'][0]).toEqual({ ...original.releases['2.32.0'][0], url: `${MOUNT}files/requests/requests-2.32.0-py3-none-any.whl` });
    expect(doc.vulnerabilities).toEqual([]);
  });

  it('removes hidden releases, and moves info and urls to the newest visible final release', () => {
    const doc = render(['2.32.3']);
    expect(Object.keys(doc.releases)).toEqual(['2.31.0', '2.32.0', '0.0.1']);
    expect(doc.info.version).toBe('2.32.0');
    expect(doc.info.yanked).toBe(true);
    expect(doc.info.requires_dist).toBeNull();
    expect(doc.info.summary).toBe('Python HTTP for Humans.');
    expect(doc.urls.map((f: Doc) => f.filename)).toEqual(['requests-2.32.0-py3-none-any.whl', 'requests-2.32.0.tar.gz']);
    expect(JSON.stringify(doc)).not.toContain('2.32.3');
  });

  it('answers 404 with the reason for a hidden release, or when every release is hidden', () => {
    expect(render(['2.32.3'], '2.31.0').info.version).toBe('2.31.0');
    for (const [hidden, version] of [[['2.31.0'], '2.31.0'], [['2.31.0', '2.32.0', '2.32.3'], undefined]] as const) {
      let thrown: unknown;
      try {
        render([...hidden], version);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(HttpError);
      expect((thrown as HttpError).status).toBe(404);
      expect((thrown as HttpError).message).toMatch(/^requests@2\.3\d\.\d is hidden by policy: requests@2\.3\d\.\d is too fresh$/);
    }
  });
});

describe('dating an HTML project page from the JSON API', () => {
  const html = readFileSync(new URL('../fixtures/pypi/requests.simple.html', import.meta.url));
  const undated = pypi.parse(projectRoute('requests'), html, { url: 'https://pypi.org/simple/requests/' }).versions;

  function completion(known: Array<[string, number | null]>, answer: UpstreamDocument | undefined | Error) {
    const fetched: string[] = [];
    const context: CompletionContext = {
      known: new Map(known.map(([v, publishedAt]) => [v, { publishedAt }])),
      now: Date.now(),
      async fetch(path) {
        fetched.push(path);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    };
    return { context, fetched };
  }
  const jsonApi: UpstreamDocument = { url: 'https://pypi.org/pypi/requests/json', status: 200, headers: {}, body };

  it('fills in the publish times with one request', async () => {
    const { context, fetched } = completion([], jsonApi);
    const versions = await pypi.completeVersions!(projectRoute('requests'), undated, context);
    expect(fetched).toEqual(['pypi/requests/json']);
    expect(versions).toEqual(parsed.versions);
  });

  it('asks nothing when every version was dated before, or the page is dated', async () => {
    const { context, fetched } = completion([['2.31.0', 1], ['2.32.0', 2], ['2.32.3', 3]], jsonApi);
    await pypi.completeVersions!(projectRoute('requests'), undated, context);
    await pypi.completeVersions!(jsonApiRoute('requests'), undated, context);
    await pypi.completeVersions!(projectRoute('requests'), parsed.versions, completion([], jsonApi).context);
    expect(fetched).toEqual([]);
  });

  it('leaves versions undated when the JSON API is missing, failing or unusable', async () => {
    for (const answer of [undefined, new Error('upstream answered 503'), { ...jsonApi, body: Buffer.from('<html>') }]) {
      const versions = await pypi.completeVersions!(projectRoute('requests'), undated, completion([], answer).context);
      expect(versions).toEqual(undated);
    }
  });
});
