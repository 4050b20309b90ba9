import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildRelease, type Distribution } from './pypi-artifacts.js';
import { listenOnLoopback, type LoopbackServer } from './http.js';

/**
 * A local Python package index for tests, serving real wheels and sdists (see pypi-artifacts)
 * with publish times relative to now, and counting every request.
 *
 * style 'pypi' is pypi.org: the simple API in PEP 691 JSON (with PEP 700 upload-time) or PEP
 * 503 HTML by Accept, the JSON API, and files on a second host (files.pythonhosted.org) at
 * absolute URLs. style 'mirror' is a plain private index (devpi, a static mirror): HTML only,
 * no upload times, file links relative to the page, files on the same host; it keeps the
 * JSON API, where the proxy finds the publish times.
 */

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface FakeRelease {
  version: string;
  /** How long ago it was uploaded, in ms. */
  age: number;
  requires?: string[];
  /** PEP 592: true or the reason. */
  yanked?: true | string;
}

export interface FakeProject {
  /** As its author spells it; pages are at the normalized name. */
  name: string;
  releases: FakeRelease[];
}

interface PublishedFile extends Distribution {
  version: string;
  uploadedAt: number;
  yanked?: true | string;
  sha256: string;
  /** Path on the files host (pypi) or the index (mirror). */
  path: string;
}

interface Published {
  project: FakeProject;
  files: PublishedFile[];
}

export interface RequestLog {
  server: 'index' | 'files';
  method: string;
  path: string;
  accept: string | undefined;
}

const normalize = (name: string) => name.replace(/[-_.]+/g, '-').toLowerCase();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class FakePypi {
  readonly requests: RequestLog[] = [];
  /** Files served with bytes that do not match their declared sha256. */
  readonly corrupt = new Set<string>();
  url = '';
  filesUrl = '';
  private readonly projects = new Map<string, Published>();
  private readonly listeners: LoopbackServer[] = [];

  constructor(readonly style: 'pypi' | 'mirror' = 'pypi') {}

  async start(): Promise<this> {
    this.url = await this.listen('index');
    this.filesUrl = this.style === 'pypi' ? await this.listen('files') : this.url;
    return this;
  }

  async stop(): Promise<void> {
    for (const listener of this.listeners) await listener.close();
  }

  /** Builds every release of a project with setuptools and publishes it. */
  async publish(project: FakeProject): Promise<void> {
    const now = Date.now();
    const built = await Promise.all(project.releases.map((r) => buildRelease({ name: project.name, version: r.version, ...(r.requires ? { requires: r.requires } : {}) })));
    const files = project.releases.flatMap((release, i) =>
      built[i]!.map((d, j): PublishedFile => {
        const digest = sha256(d.bytes);
        return {
          ...d,
          version: release.version,
          // The sdist goes up a second after the wheel.
          uploadedAt: now - release.age + j * 1000,
          ...(release.yanked ? { yanked: release.yanked } : {}),
          sha256: digest,
          path: `packages/${digest.slice(0, 2)}/${digest.slice(2, 4)}/${digest.slice(4)}/${d.filename}`,
        };
      }),
    );
    this.projects.set(normalize(project.name), { project, files });
  }

  /** The published file of a project's release whose name ends with `suffix` (".whl", ".tar.gz"). */
  file(project: string, version: string, suffix: string): PublishedFile {
    const file = this.projects.get(normalize(project))?.files.find((f) => f.version === version && f.filename.endsWith(suffix));
    if (!file) throw new Error(`no ${suffix} of ${project} ${version} published`);
    return file;
  }

  count(pattern: RegExp, server?: RequestLog['server']): number {
    return this.requests.filter((r) => (server === undefined || r.server === server) && pattern.test(r.path)).length;
  }

  /** Requests for distribution files (not their .metadata), by file name. */
  fileDownloads(): string[] {
    return this.requests.filter((r) => r.path.startsWith('/packages/') && !r.path.endsWith('.metadata')).map((r) => decodeURIComponent(r.path.split('/').pop()!));
  }

  private async listen(server: RequestLog['server']): Promise<string> {
    const listener = await listenOnLoopback((req, res) => this.handle(server, req, res));
    this.listeners.push(listener);
    return listener.url;
  }

  private handle(server: RequestLog['server'], req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    this.requests.push({ server, method: req.method ?? 'GET', path, accept: req.headers.accept });
    const wantsJson = /application\/vnd\.pypi\.simple\.(v1|latest)\+json/.test(req.headers.accept ?? '') && this.style === 'pypi';
    let m: RegExpExecArray | null;
    if (path.startsWith('/packages/') && (server === 'files' || this.style === 'mirror')) return this.serveFile(path.slice(1), res);
    if (server !== 'index') return notFound(res);
    if (path === '/simple/') return wantsJson ? json(res, this.projectList(), SIMPLE_JSON) : html(res, this.projectListHtml());
    if ((m = /^\/simple\/([^/]+)\/$/.exec(path))) {
      const published = this.projects.get(m[1]!);
      if (!published || m[1] !== normalize(m[1]!)) return notFound(res);
      return wantsJson ? json(res, this.projectPage(published), SIMPLE_JSON) : html(res, this.projectPageHtml(published));
    }
    if ((m = /^\/pypi\/([^/]+)\/(?:([^/]+)\/)?json$/.exec(path))) {
      const published = this.projects.get(normalize(m[1]!));
      const document = published && this.jsonApi(published, m[2]);
      return document ? json(res, document, 'application/json') : notFound(res);
    }
    return notFound(res);
  }

  private serveFile(path: string, res: ServerResponse): void {
    const metadata = path.endsWith('.metadata');
    const filePath = metadata ? path.slice(0, -'.metadata'.length) : path;
    for (const { files } of this.projects.values()) {
      const file = files.find((f) => f.path === filePath);
      if (!file || (metadata && !file.metadata)) continue;
      let bytes = metadata ? file.metadata! : file.bytes;
      if (!metadata && this.corrupt.has(file.filename)) bytes = Buffer.concat([bytes, Buffer.from('tampered')]);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      res.end(bytes);
      return;
    }
    notFound(res);
  }

  private fileUrl(file: PublishedFile): string {
    // A mirror's page at /simple/<name>/ links its files relative to itself.
    return this.style === 'pypi' ? this.filesUrl + file.path : `../../${file.path}`;
  }

  private projectList() {
    return { meta: { '_last-serial': 1, 'api-version': '1.1' }, projects: [...this.projects.values()].map(({ project }) => ({ name: project.name, '_last-serial': 1 })) };
  }

  private projectListHtml(): string {
    const links = [...this.projects.values()].map(({ project }) => `    <a href="/simple/${normalize(project.name)}/">${escapeHtml(project.name)}</a>`);
    return `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.1">\n    <title>Simple index</title>\n  </head>\n  <body>\n${links.join('\n')}\n  </body>\n</html>\n`;
  }

  private projectPage({ project, files }: Published) {
    return {
      meta: { '_last-serial': 1, 'api-version': '1.1' },
      name: normalize(project.name),
      files: files.map((f) => {
        const metadata = f.metadata ? { sha256: sha256(f.metadata) } : false;
        return {
          'core-metadata': metadata,
          'data-dist-info-metadata': metadata,
          filename: f.filename,
          hashes: { sha256: f.sha256 },
          provenance: null,
          'requires-python': '>=3.7',
          size: f.bytes.length,
          'upload-time': new Date(f.uploadedAt).toISOString(),
          url: this.fileUrl(f),
          yanked: f.yanked ?? false,
        };
      }),
      versions: project.releases.map((r) => r.version),
    };
  }

  private projectPageHtml({ project, files }: Published): string {
    const links = files.map((f) => {
      let attributes = `href="${escapeHtml(`${this.fileUrl(f)}#sha256=${f.sha256}`)}" data-requires-python="&gt;=3.7"`;
      if (f.yanked) attributes += ` data-yanked="${f.yanked === true ? '' : escapeHtml(f.yanked)}"`;
      if (f.metadata) attributes += ` data-dist-info-metadata="sha256=${sha256(f.metadata)}" data-core-metadata="sha256=${sha256(f.metadata)}"`;
      return `    <a ${attributes}>${escapeHtml(f.filename)}</a><br />`;
    });
    const title = `Links for ${escapeHtml(normalize(project.name))}`;
    return `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.1">\n    <title>${title}</title>\n  </head>\n  <body>\n    <h1>${title}</h1>\n${links.join('\n')}\n  </body>\n</html>\n`;
  }

  /** /pypi/<name>/json, or /pypi/<name>/<version>/json (whose releases PyPI leaves empty). */
  private jsonApi({ project, files }: Published, version?: string) {
    const shown = version ?? project.releases.at(-1)!.version;
    const release = project.releases.find((r) => r.version === shown);
    if (!release) return undefined;
    const apiFile = (f: PublishedFile) => {
      const md5 = createHash('md5').update(f.bytes).digest('hex');
      const uploaded = new Date(f.uploadedAt).toISOString();
      return {
        comment_text: '',
        digests: { md5, sha256: f.sha256 },
        filename: f.filename,
        md5_digest: md5,
        packagetype: f.filename.endsWith('.whl') ? 'bdist_wheel' : 'sdist',
        requires_python: '>=3.7',
        size: f.bytes.length,
        upload_time: uploaded.slice(0, 19),
        upload_time_iso_8601: uploaded,
        url: this.style === 'pypi' ? this.filesUrl + f.path : this.url + f.path,
        yanked: f.yanked !== undefined,
        yanked_reason: typeof f.yanked === 'string' ? f.yanked : null,
      };
    };
    const filesOf = (v: string) => files.filter((f) => f.version === v).map(apiFile);
    return {
      info: { name: project.name, version: shown, requires_dist: release.requires ?? null, requires_python: '>=3.7', summary: `${project.name} for tests`, yanked: release.yanked !== undefined },
      last_serial: 1,
      releases: version === undefined ? Object.fromEntries(project.releases.map((r) => [r.version, filesOf(r.version)])) : {},
      urls: filesOf(shown),
      vulnerabilities: [],
    };
  }
}

const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';

function json(res: ServerResponse, value: unknown, contentType: string): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(200, { 'content-type': contentType, 'content-length': body.length, vary: 'Accept' });
  res.end(body);
}

function html(res: ServerResponse, text: string): void {
  const body = Buffer.from(text);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length, vary: 'Accept' });
  res.end(body);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('404 Not Found\n');
}
