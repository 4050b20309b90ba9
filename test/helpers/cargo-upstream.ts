import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { indexPath, indexPrefix } from '../../shared/ecosystems/cargo/names.js';
import { CargoSandbox } from './cargo-cli.js';
import { listenOnLoopback, type LoopbackServer } from './http.js';

/**
 * A local Cargo sparse registry for tests, in crates.io's format: config.json, one index file
 * per crate (JSON lines with cksum and pubtime), downloads behind a redirect like crates.io's,
 * and the web API's version list with created_at. The .crate files are real: `cargo package`
 * builds each one, resolving its dependencies against this registry, so a crate's
 * dependencies must be published first. Publish times are relative to when it was published.
 */

export interface FakeCrateVersion {
  version: string;
  /** How long ago it was published, in ms. */
  age: number;
  /** Dependency name → requirement, as in Cargo.toml. */
  dependencies?: Record<string, string>;
  /**
   * Where its publish time can be read: the index line's `pubtime` (newer crates.io lines),
   * only the web API's created_at (older lines), or nowhere.
   */
  dated?: 'index' | 'api' | 'nowhere';
  yanked?: boolean;
  /** Serve bytes that do not match the index line's cksum. */
  corrupt?: boolean;
}

export interface FakeCrate {
  name: string;
  versions: FakeCrateVersion[];
}

export interface RequestLog {
  method: string;
  url: string;
}

export type Fault = '500' | 'not-an-index';

interface Built {
  crate: FakeCrate;
  bytes: Map<string, Buffer>;
  cksums: Map<string, string>;
  /** Publish times, fixed when published so that the index file does not change by itself. */
  publishedAt: Map<string, number>;
}

export class FakeCargoRegistry {
  readonly requests: RequestLog[] = [];
  /** Faults applied to every request whose path matches. */
  readonly faults = new Map<RegExp, Fault>();
  /** When false the web API answers 404, like a registry without one. */
  apiAvailable = true;
  url = '';
  private readonly crates = new Map<string, Built>();
  private listener?: LoopbackServer;
  private builder?: CargoSandbox;

  /**
   * dlStyle "crates.io": dl is `<url>crates` (no markers), whose downloads redirect to the file.
   * "template": dl names the file itself with markers, as some alternative registries do.
   */
  constructor(private readonly dlStyle: 'crates.io' | 'template' = 'crates.io') {}

  async start(): Promise<this> {
    this.listener = await listenOnLoopback((req, res) => this.handle(req, res));
    this.url = this.listener.url;
    this.builder = new CargoSandbox(`sparse+${this.url}`);
    return this;
  }

  async stop(): Promise<void> {
    this.builder?.cleanup();
    await this.listener?.close();
  }

  /** Builds every version with `cargo package` and serves them; publishing again replaces the crate. */
  async publish(crate: FakeCrate): Promise<void> {
    const logged = this.requests.length;
    const bytes = new Map<string, Buffer>();
    const cksums = new Map<string, string>();
    const publishedAt = new Map(crate.versions.map((v) => [v.version, Date.now() - v.age]));
    for (const v of crate.versions) {
      const built = await this.package(crate.name, v);
      cksums.set(v.version, createHash('sha256').update(built).digest('hex'));
      bytes.set(v.version, v.corrupt ? Buffer.concat([built, Buffer.from('tampered')]) : built);
    }
    this.crates.set(crate.name.toLowerCase(), { crate, bytes, cksums, publishedAt });
    // cargo package read the index while resolving: that is not traffic the tests measure.
    this.requests.splice(logged);
  }

  /** Requests whose URL matched, e.g. downloads: count(/\/download$/). */
  count(pattern: RegExp): number {
    return this.requests.filter((r) => pattern.test(r.url)).length;
  }

  crateBytes(name: string, version: string): Buffer {
    return this.crates.get(name.toLowerCase())!.bytes.get(version)!;
  }

  /** The index file as this registry serves it now. */
  indexFile(name: string): string {
    const built = this.crates.get(name.toLowerCase());
    if (!built) throw new Error(`no fake crate ${name}`);
    return built.crate.versions
      .map((v) => {
        const line: Record<string, unknown> = {
          name: built.crate.name,
          vers: v.version,
          deps: Object.entries(v.dependencies ?? {}).map(([dep, req]) => ({
            name: dep,
            req: /^\d/.test(req) ? `^${req}` : req,
            features: [],
            optional: false,
            default_features: true,
            target: null,
            kind: 'normal',
          })),
          cksum: built.cksums.get(v.version),
          features: {},
          yanked: v.yanked ?? false,
        };
        if ((v.dated ?? 'index') === 'index') line.pubtime = new Date(built.publishedAt.get(v.version)!).toISOString().slice(0, 19) + 'Z';
        return `${JSON.stringify(line)}\n`;
      })
      .join('');
  }

  private async package(name: string, v: FakeCrateVersion): Promise<Buffer> {
    const builder = this.builder!;
    const dir = builder.newCrate(`${name}-${v.version}`, { name, version: v.version, dependencies: v.dependencies }, libRs(name, v));
    await builder.ok(['package', '--no-verify', '--allow-dirty', '--quiet'], dir);
    return readFileSync(join(dir, 'target', 'package', `${name}-${v.version}.crate`));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    this.requests.push({ method: req.method ?? 'GET', url });
    const fault = [...this.faults].find(([pattern]) => pattern.test(url))?.[1];
    if (fault === '500') return void res.writeHead(500).end('upstream broke');
    const path = decodeURIComponent(url.split('?')[0]!.slice(1));

    if (path === 'config.json') return this.json(res, this.config());
    const api = /^api\/v1\/crates\/([^/]+)\/versions$/.exec(path);
    if (api) return this.versionsApi(res, api[1]!);
    const download = /^crates\/([^/]+)\/([^/]+)\/download$/.exec(path);
    if (download && this.dlStyle === 'crates.io') {
      const [, name, version] = download;
      return void res.writeHead(302, { location: `/${filePath(name!, version!)}` }).end();
    }
    const file = /^files\/.+\/([^/]+)\/\1-(.+)\.crate$/.exec(path);
    if (file) return this.crateFile(res, path, file[1]!, file[2]!);

    const name = path.split('/').pop()!;
    const built = this.crates.get(name);
    if (!built || indexPath(name) !== path) return void res.writeHead(404).end('not found');
    if (fault === 'not-an-index') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>');
    const body = Buffer.from(this.indexFile(name));
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, etag }).end(body);
  }

  private config(): Record<string, string> {
    const dl = this.dlStyle === 'crates.io' ? `${this.url}crates` : `${this.url}files/{lowerprefix}/{crate}/{crate}-{version}.crate`;
    return { dl, api: this.url.replace(/\/$/, '') };
  }

  private versionsApi(res: ServerResponse, name: string): void {
    const built = this.crates.get(name.toLowerCase());
    if (!this.apiAvailable || !built) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"detail":"Not Found"}]}');
    const versions = built.crate.versions
      .filter((v) => v.dated !== 'nowhere')
      .map((v, i) => ({
        id: 1000 + i,
        crate: built.crate.name,
        num: v.version,
        dl_path: `/api/v1/crates/${built.crate.name}/${v.version}/download`,
        // crates.io's form: microseconds and an offset.
        created_at: new Date(built.publishedAt.get(v.version)!).toISOString().replace('Z', '123+00:00'),
        yanked: v.yanked ?? false,
      }));
    this.json(res, { versions, meta: { total: versions.length, next_page: null } });
  }

  private crateFile(res: ServerResponse, path: string, name: string, version: string): void {
    const bytes = this.crates.get(name.toLowerCase())?.bytes.get(version);
    if (!bytes || path !== filePath(name, version)) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': bytes.length }).end(bytes);
  }

  private json(res: ServerResponse, value: unknown): void {
    const body = Buffer.from(JSON.stringify(value));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  }
}

function filePath(name: string, version: string): string {
  return `files/${indexPrefix(name).toLowerCase()}/${name}/${name}-${version}.crate`;
}

/** A library whose describe() names the crate, its version and what its dependencies describe. */
function libRs(name: string, v: FakeCrateVersion): string {
  const deps = Object.keys(v.dependencies ?? {}).map((dep) => `${dep.replaceAll('-', '_')}::describe()`);
  const self = JSON.stringify(`${name} ${v.version}`);
  if (deps.length === 0) return `pub fn describe() -> String {\n    String::from(${self})\n}\n`;
  return `pub fn describe() -> String {\n    format!("{} ({})", ${self}, [${deps.join(', ')}].join(", "))\n}\n`;
}

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
