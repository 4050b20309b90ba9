import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pypi } from '../../shared/ecosystems/pypi/index.js';
import { projectRoute, type SimpleFormat } from '../../shared/ecosystems/pypi/routes.js';
import type { MetadataRoute, ParsedMetadata, RenderContext } from '../../shared/ecosystems/types.js';

const MOUNT = 'http://proxy.test:8080/pypi/';
const PYPI_PAGE = 'https://pypi.org/simple/requests/';
const YANK_REASON = 'Yanked due to conflicts with CVE-2024-35195 mitigation';

type Doc = Record<string, any>;

function fixture(file: string): Buffer {
  return readFileSync(new URL(`../fixtures/pypi/${file}`, import.meta.url));
}

function parse(project: string, body: Buffer, url?: string): ParsedMetadata {
  return pypi.parse(projectRoute(project), body, url === undefined ? undefined : { url });
}

function context(hidden: string[] = []): RenderContext {
  return { mountUrl: MOUNT, hidden: new Map(hidden.map((v) => [v, `${v} is hidden`])) };
}

function render(project: string, parsed: ParsedMetadata, format: SimpleFormat, hidden: string[] = []) {
  const rendered = pypi.render(projectRoute(project, format), parsed, context(hidden));
  return { text: rendered.body.toString('utf8'), contentType: rendered.contentType };
}

const listRoute = (variant: SimpleFormat): MetadataRoute => pypi.route('simple/', { method: 'GET', accept: variant === 'json' ? 'application/vnd.pypi.simple.v1+json' : 'text/html', query: '' }) as MetadataRoute;

describe('parsing a PEP 691 JSON project page', () => {
  const parsed = parse('requests', fixture('requests.simple.json'), PYPI_PAGE);

  it('dates each version by its first upload (PEP 700) and keeps the yanked flag', () => {
    expect(parsed.versions).toEqual([
      { version: '2.31.0', publishedAt: Date.parse('2023-05-22T15:12:42.313Z'), yanked: false },
      { version: '2.32.0', publishedAt: Date.parse('2024-05-20T15:22:07.165Z'), yanked: true },
      { version: '2.32.3', publishedAt: Date.parse('2024-05-29T15:37:47.027Z'), yanked: false },
    ]);
  });

  it('declares every file at its upstream URL with its sha256, and the PEP 658 metadata files with theirs', () => {
    const wheel = parsed.artifacts.find((a) => a.path === 'files/requests/requests-2.31.0-py3-none-any.whl');
    expect(wheel).toEqual({
      path: 'files/requests/requests-2.31.0-py3-none-any.whl',
      version: '2.31.0',
      upstreamUrl: 'https://files.pythonhosted.org/packages/a1/ae/b6d0075283ab768cb0f5df81502e42facf8594fae0f3f1fa7639203445c4/requests-2.31.0-py3-none-any.whl',
      checksums: [{ algorithm: 'sha256', hex: '49c27f94ec8a3b8bcb00aa495798d1114a624af3873a8d444c2541d1c0f8bf02' }],
    });
    const metadata = parsed.artifacts.find((a) => a.path === 'files/requests/requests-2.31.0-py3-none-any.whl.metadata');
    expect(metadata).toEqual({
      path: 'files/requests/requests-2.31.0-py3-none-any.whl.metadata',
      version: '2.31.0',
      upstreamUrl: `${wheel!.upstreamUrl}.metadata`,
      checksums: [{ algorithm: 'sha256', hex: '44238fe921d99d451b5f78e2e33eabdd0f87754371df26fd1fec1abfcf4e8b96' }],
    });
    // Six files, three of them wheels with metadata files; sdists have none here.
    expect(parsed.artifacts).toHaveLength(9);
    expect(parsed.artifacts.some((a) => a.path === 'files/requests/requests-2.31.0.tar.gz.metadata')).toBe(false);
  });

  it('refuses a page of another project and a body that is not a page', () => {
    expect(() => parse('urllib3', fixture('requests.simple.json'))).toThrow(/asked for "urllib3"/);
    expect(() => parse('requests', Buffer.from('{"files": '))).toThrow(/not JSON/);
    expect(() => parse('requests', Buffer.from('{"name": "requests"}'))).toThrow(/no files list/);
    expect(() => parse('requests', Buffer.from('Service Unavailable'))).toThrow(/neither JSON nor HTML/);
  });
});

describe('parsing a PEP 503 HTML project page', () => {
  it('reads the same files, hashes and versions as the JSON form, without dates', () => {
    const html = parse('requests', fixture('requests.simple.html'), PYPI_PAGE);
    const json = parse('requests', fixture('requests.simple.json'), PYPI_PAGE);
    expect(html.artifacts).toEqual(json.artifacts);
    expect(html.versions).toEqual(json.versions.map((v) => ({ ...v, publishedAt: null })));
    const files = (html.document as Doc).files as Doc[];
    expect(files[2]).toMatchObject({ filename: 'requests-2.32.0-py3-none-any.whl', 'requires-python': '>=3.8', yanked: YANK_REASON });
    expect(files[0]!['core-metadata']).toEqual({ sha256: '44238fe921d99d451b5f78e2e33eabdd0f87754371df26fd1fec1abfcf4e8b96' });
  });

  it('resolves relative URLs against the page, and skips files that name no version', () => {
    const parsed = parse('zope-interface', fixture('zope-interface.devpi.html'), 'https://devpi.example/root/pypi/+simple/zope-interface/');
    expect(parsed.artifacts.map((a) => [a.path, a.version])).toEqual([
      ['files/zope-interface/zope.interface-6.0.tar.gz', '6.0'],
      ['files/zope-interface/zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', '6.0'],
      ['files/zope-interface/zope.interface-6.1.tar.gz', '6.1'],
    ]);
    expect(parsed.artifacts[0]!.upstreamUrl).toMatch(/^https:\/\/devpi\.example\/root\/pypi\/\+f\/[0-9a-f]{3}\/[0-9a-f]{13}\/zope\.interface-6\.0\.tar\.gz$/);
    expect(parsed.versions.map((v) => v.version)).toEqual(['6.0', '6.1']);
  });
});

describe('rendering a project page', () => {
  const parsed = parse('requests', fixture('requests.simple.json'), PYPI_PAGE);

  it('writes PEP 691 JSON with URLs on the proxy and upstream keys kept', () => {
    const { text, contentType } = render('requests', parsed, 'json');
    expect(contentType).toBe('application/vnd.pypi.simple.v1+json');
    const doc = JSON.parse(text);
    expect(doc.meta).toEqual({ '_last-serial': 23766423, 'api-version': '1.1' });
    expect(doc['alternate-locations']).toEqual([]);
    expect(doc.files).toHaveLength(6);
    expect(doc.files[0]).toEqual({ ...JSON.parse(fixture('requests.simple.json').toString()).files[0], url: `${MOUNT}files/requests/requests-2.31.0-py3-none-any.whl` });
    expect(doc.files[2].yanked).toBe(YANK_REASON);
    expect(doc.versions).toEqual(['2.31.0', '2.32.0', '2.32.3']);
  });

  it('removes every file of a hidden version, and the version from PEP 700 versions', () => {
    const doc = JSON.parse(render('requests', parsed, 'json', ['2.32.3']).text);
    expect(doc.files.map((f: Doc) => f.filename)).toEqual(['requests-2.31.0-py3-none-any.whl', 'requests-2.31.0.tar.gz', 'requests-2.32.0-py3-none-any.whl', 'requests-2.32.0.tar.gz']);
    expect(doc.versions).toEqual(['2.31.0', '2.32.0']);
    const html = render('requests', parsed, 'html', ['2.32.3']).text;
    expect(html).not.toContain('2.32.3');
    expect(html).toContain('requests-2.32.0.tar.gz');
  });

  it('writes PEP 503 HTML with hash fragments and data-* attributes that parse back to the same page', () => {
    const { text, contentType } = render('requests', parsed, 'html');
    expect(contentType).toBe('application/vnd.pypi.simple.v1+html');
    expect(render('requests', parsed, 'text-html').contentType).toBe('text/html; charset=utf-8');
    expect(text).toContain('<meta name="pypi:repository-version" content="1.1">');
    expect(text).toContain(
      `<a href="${MOUNT}files/requests/requests-2.32.0-py3-none-any.whl#sha256=71c5cff03e87b9bb34d628eb9221e408f691ecf8317ec99185790c9b0870af97" data-requires-python="&gt;=3.8" data-yanked="${YANK_REASON}" data-core-metadata="sha256=1018e8fb71ef643365268979b267dd79044ffa126d0a90b91d8d5a1cef934b2d" data-dist-info-metadata="sha256=1018e8fb71ef643365268979b267dd79044ffa126d0a90b91d8d5a1cef934b2d">requests-2.32.0-py3-none-any.whl</a>`,
    );
    const reparsed = parse('requests', Buffer.from(text), `${MOUNT}simple/requests/`);
    expect(reparsed.versions).toEqual(parsed.versions.map((v) => ({ ...v, publishedAt: null })));
    expect(reparsed.artifacts.map((a) => [a.path, a.checksums])).toEqual(parsed.artifacts.map((a) => [a.path, a.checksums]));
    expect(reparsed.artifacts.every((a) => a.upstreamUrl.startsWith(`${MOUNT}files/requests/`))).toBe(true);
  });

  it('leaves out files that name no version, which the proxy could not serve', () => {
    const devpi = parse('zope-interface', fixture('zope-interface.devpi.html'), 'https://devpi.example/root/pypi/+simple/zope-interface/');
    const html = render('zope-interface', devpi, 'html').text;
    expect(html).not.toContain('.exe');
    expect(html).toContain(`href="${MOUNT}files/zope-interface/zope.interface-6.1.tar.gz#sha256=`);
    expect(html).toContain('<title>Links for zope-interface</title>');
  });
});

describe('the project list', () => {
  it('parses both forms and writes relative links to normalized pages', () => {
    for (const file of ['index.simple.json', 'index.simple.html']) {
      const parsed = pypi.parse(listRoute('json'), fixture(file));
      expect(parsed.versions).toEqual([]);
      const html = pypi.render(listRoute('text-html'), parsed, context()).body.toString();
      expect(html, file).toContain('<a href="zope-interface/">zope.interface</a>');
      expect(html, file).toContain('<a href="django/">Django</a>');
      const json = JSON.parse(pypi.render(listRoute('json'), parsed, context()).body.toString());
      expect(json.projects.map((p: Doc) => p.name)).toEqual(['0', 'requests', 'zope.interface', 'Django']);
    }
  });

  it('refuses a body that is no project list', () => {
    expect(() => pypi.parse(listRoute('json'), Buffer.from('{"meta": {}}'))).toThrow(/no projects array/);
  });
});
