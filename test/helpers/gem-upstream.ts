import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildRepository, newRepositoryDir, removeRepository, type BuiltRepository } from './gem-build.js';
import { listenOnLoopback, type LoopbackServer } from './http.js';

/**
 * A local RubyGems registry for tests, speaking rubygems.org's protocol: the compact index
 * (/versions, /names, /info/<name>, with MD5 ETags and conditional requests), the JSON API
 * (/api/v1/versions/<name>.json, with created_at), the Marshal index (specs.4.8.gz and kin)
 * and quick specs, and gems behind a redirect to a "CDN" path, as rubygems.org sends them to
 * Fastly. Gems and the Marshal index are real, built by `gem build` and `gem generate_index`.
 * Publish times are relative to now; every request is counted.
 */

export interface FakeGemVersion {
  version: string;
  /** How long ago it was pushed, in ms. */
  age: number;
  /** Runtime dependencies: name → requirements, e.g. { "acme-core": ["~> 1.0"] }. */
  dependencies?: Record<string, string[]>;
  /** Serve bytes that do not match the checksum /info declares. */
  corrupt?: boolean;
}

export interface FakeGem {
  name: string;
  versions: FakeGemVersion[];
}

export interface FakeGemRegistryOptions {
  /** Answer /api/v1/versions/<name>.json (rubygems.org does; a plain compact index mirror does not). */
  api?: boolean;
  /** Write ",created_at:<time>" on /info lines, as the compact_index gem's newer format does. */
  createdAtInInfo?: boolean;
}

export type GemFault = '500' | 'truncate' | 'html';

export interface GemRequest {
  method: string;
  path: string;
}

export class FakeGemRegistry {
  readonly requests: GemRequest[] = [];
  /** Faults applied to every request whose path matches. */
  readonly faults = new Map<RegExp, GemFault>();
  url = '';
  private readonly gems = new Map<string, FakeGem>();
  private built: BuiltRepository = { gems: new Map(), index: new Map() };
  private readonly repository = newRepositoryDir();
  private listener?: LoopbackServer;

  constructor(private readonly options: FakeGemRegistryOptions = {}) {}

  async start(): Promise<this> {
    this.listener = await listenOnLoopback((req, res) => this.handle(req, res));
    this.url = this.listener.url;
    return this;
  }

  async stop(): Promise<void> {
    await this.listener?.close();
    removeRepository(this.repository);
  }

  /** Adds gems (or new versions of known ones), building the new ones and the index again. */
  async publish(...gems: FakeGem[]): Promise<void> {
    const toBuild = [];
    for (const gem of gems) {
      const known = this.gems.get(gem.name);
      for (const v of gem.versions) {
        if (!this.built.gems.has(`${gem.name}-${v.version}.gem`)) toBuild.push({ name: gem.name, version: v.version, dependencies: v.dependencies ?? {} });
      }
      const versions = [...(known?.versions ?? []).filter((k) => !gem.versions.some((v) => v.version === k.version)), ...gem.versions];
      this.gems.set(gem.name, { name: gem.name, versions });
    }
    this.built = await buildRepository(this.repository, toBuild);
  }

  /** Requests whose path matched, e.g. gem downloads: count(/^\/gems\//). */
  count(pattern: RegExp): number {
    return this.requests.filter((r) => pattern.test(r.path)).length;
  }

  /** The .gem as built, before any corruption. */
  gemBytes(name: string, version: string): Buffer {
    return this.built.gems.get(`${name}-${version}.gem`)!;
  }

  indexFile(path: string): Buffer {
    return this.built.index.get(path)!;
  }

  sha256(name: string, version: string): string {
    return createHash('sha256').update(this.gemBytes(name, version)).digest('hex');
  }

  /** The /info/<name> file: versions oldest first, as rubygems.org appends them. */
  info(name: string): string {
    const now = Date.now();
    const lines = this.pushOrder(this.gems.get(name)!).map((v) => {
      const dependencies = Object.entries(v.dependencies ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([dep, requirements]) => `${dep}:${[...requirements].sort().join('&')}`)
        .join(',');
      const createdAt = this.options.createdAtInInfo ? `,created_at:${new Date(now - v.age).toISOString()}` : '';
      return `${v.version} ${dependencies}|checksum:${this.sha256(name, v.version)}${createdAt}\n`;
    });
    return `---\n${lines.join('')}`;
  }

  /** /versions as right after a rebuild: one line per gem with the MD5 of its /info file. */
  versionsFile(): string {
    const lines = [...this.gems.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((gem) => `${gem.name} ${this.pushOrder(gem).map((v) => v.version).join(',')} ${md5(this.info(gem.name))}\n`);
    return `created_at: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}\n---\n${lines.join('')}`;
  }

  private pushOrder(gem: FakeGem): FakeGemVersion[] {
    return [...gem.versions].sort((a, b) => b.age - a.age);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    this.requests.push({ method: req.method ?? 'GET', path });
    const fault = [...this.faults].find(([pattern]) => pattern.test(path))?.[1];
    if (fault === '500') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream broke\n');
    if (fault === 'html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html>maintenance</html>\n');

    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>fake rubygems</html>\n');
    if (path === '/versions') return this.compactIndex(req, res, this.versionsFile(), fault);
    if (path === '/names') return this.compactIndex(req, res, `---\n${[...this.gems.keys()].sort().join('\n')}\n`, fault);
    const info = /^\/info\/([^/]+)$/.exec(path);
    if (info && this.gems.has(info[1]!)) return this.compactIndex(req, res, this.info(info[1]!), fault);
    const api = /^\/api\/v1\/versions\/([^/]+)\.json$/.exec(path);
    if (api && this.options.api !== false && this.gems.has(api[1]!)) return this.json(res, this.apiVersions(api[1]!));
    const gem = /^\/gems\/([^/]+\.gem)$/.exec(path);
    // rubygems.org sends downloads to its CDN, with an absolute Location (gem 3.3 cannot follow a relative one).
    if (gem && this.built.gems.has(gem[1]!)) return void res.writeHead(302, { location: `${this.url}cdn/gems/${gem[1]}` }).end();
    const cdn = /^\/cdn\/gems\/([^/]+)$/.exec(path);
    if (cdn && this.built.gems.has(cdn[1]!)) return this.bytes(res, this.servedGem(cdn[1]!), fault);
    const file = this.built.index.get(path.slice(1));
    if (file) return this.bytes(res, file, fault);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('This rubygem could not be found.\n');
  }

  private compactIndex(req: IncomingMessage, res: ServerResponse, text: string, fault: GemFault | undefined): void {
    const body = Buffer.from(text);
    const etag = `"${md5(text)}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    const headers = { 'content-type': 'text/plain; charset=utf-8', etag, 'accept-ranges': 'bytes' };
    if (fault === 'truncate') return truncate(res, body, headers);
    res.writeHead(200, { ...headers, 'content-length': body.length }).end(body);
  }

  private json(res: ServerResponse, value: unknown): void {
    const body = Buffer.from(JSON.stringify(value));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }).end(body);
  }

  private bytes(res: ServerResponse, body: Buffer, fault: GemFault | undefined): void {
    const headers = { 'content-type': 'application/octet-stream' };
    if (fault === 'truncate') return truncate(res, body, headers);
    res.writeHead(200, { ...headers, 'content-length': body.length }).end(body);
  }

  private servedGem(file: string): Buffer {
    const bytes = this.built.gems.get(file)!;
    const corrupt = [...this.gems.values()].some((gem) => gem.versions.some((v) => v.corrupt && `${gem.name}-${v.version}.gem` === file));
    return corrupt ? Buffer.concat([bytes, Buffer.from('tampered')]) : bytes;
  }

  /** rubygems.org's answer: every version, newest first, with created_at and the gem's sha256. */
  private apiVersions(name: string): unknown[] {
    const now = Date.now();
    return this.pushOrder(this.gems.get(name)!)
      .reverse()
      .map((v) => ({
        authors: 'pkgproxy tests',
        built_at: new Date(now - v.age).toISOString().slice(0, 10) + 'T00:00:00.000Z',
        created_at: new Date(now - v.age).toISOString(),
        description: null,
        downloads_count: 0,
        metadata: {},
        number: v.version,
        summary: "A gem built by pkgproxy's tests",
        platform: 'ruby',
        rubygems_version: '>= 0',
        ruby_version: '>= 0',
        prerelease: /[a-z]/i.test(v.version),
        licenses: ['MIT'],
        requirements: [],
        sha: this.sha256(name, v.version),
      }));
  }
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** Declares the full length, sends half, and drops the connection. */
function truncate(res: ServerResponse, body: Buffer, headers: Record<string, string>): void {
  res.writeHead(200, { ...headers, 'content-length': body.length });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
}

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
