import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import semver from 'semver';
import { buildModuleZips, type BuiltModule } from './go-modules.js';
import { listenOnLoopback, type LoopbackServer } from './http.js';

/**
 * A Go module proxy for tests, speaking the GOPROXY protocol the way proxy.golang.org does
 * (@v/list without pseudo-versions, .info/.mod/.zip, @latest, case-escaped paths, 404 with a
 * text reason, the checksum database below /sumdb/sum.golang.org/), serving real module zips
 * made by golang.org/x/mod/zip, with publish times relative to now and a log of every request.
 */

export interface FakeGoVersion {
  version: string;
  /** How long ago it was published, in ms. */
  age: number;
  /** Modules this version requires: path → version. */
  requires?: Record<string, string>;
  /** Go source of the package at the module root; by default a Version() naming path@version. */
  source?: string;
  /** Serve a zip with different files from the ones the checksum database records. */
  tampered?: boolean;
}

export interface FakeGoModule {
  path: string;
  versions: FakeGoVersion[];
  /** Version queries (branch names) and the version each resolves to. */
  queries?: Record<string, string>;
}

export type GoFault = '500' | 'truncate';

interface Published {
  module: FakeGoModule;
  built: Map<string, BuiltModule & { served: Buffer; recordId: number; publishedAt: number }>;
}

export const SUMDB = 'sum.golang.org';
const TILE_HASHES = 256;

export class FakeGoProxy {
  readonly requests: Array<{ method: string; url: string }> = [];
  /** Faults applied to every request whose URL matches. */
  readonly faults = new Map<RegExp, GoFault>();
  url = '';
  private readonly modules = new Map<string, Published>();
  private listener?: LoopbackServer;
  private nextRecordId = 1000;

  async start(): Promise<this> {
    this.listener = await listenOnLoopback((req, res) => this.handle(req, res));
    this.url = this.listener.url;
    return this;
  }

  async stop(): Promise<void> {
    await this.listener?.close();
  }

  /** Builds every version's zip (one run of the zip tool) and serves the modules. */
  async publish(...modules: FakeGoModule[]): Promise<void> {
    const versions = modules.flatMap((module) => module.versions.map((v) => ({ module, v })));
    const sources = versions.flatMap(({ module, v }) => {
      const genuine = { path: module.path, version: v.version, files: moduleFiles(module.path, v) };
      return v.tampered ? [genuine, { ...genuine, files: { ...genuine.files, 'backdoor.go': `package ${packageName(module.path)}\n\nfunc init() {}\n` } }] : [genuine];
    });
    const built = await buildModuleZips(sources);
    let i = 0;
    for (const module of modules) this.modules.set(module.path, { module, built: new Map() });
    for (const { module, v } of versions) {
      const genuine = built[i++]!;
      const served = v.tampered ? built[i++]!.zip : genuine.zip;
      const publishedAt = Math.floor((Date.now() - v.age) / 1000) * 1000;
      this.modules.get(module.path)!.built.set(v.version, { ...genuine, served, recordId: this.nextRecordId++, publishedAt });
    }
  }

  /** Requests whose URL matched, e.g. count(/\.zip$/). */
  count(pattern: RegExp): number {
    return this.requests.filter((r) => pattern.test(r.url)).length;
  }

  built(path: string, version: string): BuiltModule {
    const built = this.modules.get(path)?.built.get(version);
    if (!built) throw new Error(`no fake module ${path}@${version}`);
    return built;
  }

  /** The .info document of a version, as served: its Time is when publish() ran, less the version's age. */
  info(path: string, version: string): string {
    const built = this.modules.get(path)?.built.get(version);
    if (!built) throw new Error(`no fake module ${path}@${version}`);
    return `${JSON.stringify({ Version: version, Time: new Date(built.publishedAt).toISOString().replace(/\.\d{3}Z$/, 'Z') })}\n`;
  }

  /** The checksum database's record of a version, as /lookup serves it. */
  lookup(path: string, version: string): string {
    const built = this.modules.get(path)?.built.get(version);
    if (!built) throw new Error(`no fake module ${path}@${version}`);
    return `${built.recordId}\n${path} ${version} ${built.zipHash}\n${path} ${version}/go.mod ${built.modHash}\n\n${this.treeNote()}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    this.requests.push({ method: req.method ?? 'GET', url });
    const fault = [...this.faults].find(([pattern]) => pattern.test(url))?.[1];
    if (fault === '500') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream broke\n');
    const path = decodeURIComponent(url.split('?')[0]!.slice(1));
    const answer = path.startsWith('sumdb/') ? this.sumdb(path.slice('sumdb/'.length)) : this.proxy(path);
    if (!answer) return void res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${path}\n`);
    const [contentType, body] = answer;
    if (fault === 'truncate') {
      res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
      return void res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
    }
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private proxy(escapedPath: string): [string, Buffer] | undefined {
    const match = /^(.+)\/(?:@v\/(.+)|(@latest))$/.exec(escapedPath);
    if (!match) return undefined;
    const published = this.modules.get(unescapeCase(match[1]!));
    if (!published) return undefined;
    const { module } = published;
    const text = (body: string, type = 'text/plain; charset=utf-8'): [string, Buffer] => [type, Buffer.from(body)];
    if (match[3]) {
      const latest = latestVersion(module);
      return latest ? text(this.info(module.path, latest), 'application/json') : undefined;
    }
    const file = unescapeCase(match[2]!);
    if (file === 'list') return text(module.versions.filter((v) => !isPseudoVersion(v.version)).map((v) => `${v.version}\n`).join(''));
    const dot = file.lastIndexOf('.');
    const [version, extension] = [file.slice(0, dot), file.slice(dot + 1)];
    const resolved = module.queries?.[version] ?? version;
    const built = published.built.get(resolved);
    if (!built) return undefined;
    if (extension === 'info') return text(this.info(module.path, resolved), 'application/json');
    if (resolved !== version) return undefined;
    if (extension === 'mod') return text(built.goMod);
    if (extension === 'zip') return ['application/zip', built.served];
    return undefined;
  }

  private sumdb(path: string): [string, Buffer] | undefined {
    const text = (body: string): [string, Buffer] => ['text/plain; charset=utf-8', Buffer.from(body)];
    if (!path.startsWith(`${SUMDB}/`)) return undefined;
    const below = path.slice(SUMDB.length + 1);
    if (below === 'supported') return text('');
    if (below === 'latest') return text(this.treeNote());
    if (below.startsWith('lookup/')) {
      const at = below.lastIndexOf('@');
      const [modulePath, version] = [unescapeCase(below.slice('lookup/'.length, at)), unescapeCase(below.slice(at + 1))];
      return this.modules.get(modulePath)?.built.has(version) ? text(this.lookup(modulePath, version)) : undefined;
    }
    const tile = /^tile\/\d+\/(?:data|\d+)\/[x0-9/]+?(?:\.p\/(\d+))?$/.exec(below);
    if (tile) return ['application/octet-stream', tileBytes(below, tile[1] ? Number(tile[1]) : TILE_HASHES)];
    return undefined;
  }

  /** A signed tree head in the checksum database's note format (the signature is not a real one). */
  private treeNote(): string {
    const size = this.nextRecordId;
    const root = createHash('sha256').update(`tree ${size}`).digest('base64');
    const signature = createHash('sha512').update(root).digest('base64').slice(0, 88);
    return `go.sum database tree\n${size}\n${root}\n\n— ${SUMDB} ${signature}\n`;
  }
}

function moduleFiles(path: string, v: FakeGoVersion): Record<string, string> {
  const requires = Object.entries(v.requires ?? {});
  const goMod = `module ${path}\n\ngo 1.19\n${requires.length > 0 ? `\nrequire (\n${requires.map(([p, ver]) => `\t${p} ${ver}\n`).join('')})\n` : ''}`;
  const source = v.source ?? `package ${packageName(path)}\n\n// Version names the module version this code was built from.\nfunc Version() string { return ${JSON.stringify(`${path}@${v.version}`)} }\n`;
  return { 'go.mod': goMod, [`${packageName(path)}.go`]: source, LICENSE: 'Test fixture; no rights reserved.\n' };
}

/** The package name at a module's root: its last path element, letters and digits only. */
export function packageName(path: string): string {
  return path.split('/').pop()!.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function escapeCase(text: string): string {
  return text.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

function unescapeCase(text: string): string {
  return text.replace(/!([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function isPseudoVersion(version: string): boolean {
  return /\d{14}-[0-9a-f]{12}$/.test(version);
}

/** The newest release, as proxy.golang.org's @latest answers; else the newest pseudo-version. */
function latestVersion(module: FakeGoModule): string | undefined {
  const releases = module.versions.map((v) => v.version).filter((v) => !isPseudoVersion(v) && semver.valid(v.slice(1)) && !semver.prerelease(v.slice(1)));
  if (releases.length > 0) return releases.sort((a, b) => semver.rcompare(a.slice(1), b.slice(1)))[0];
  return [...module.versions].sort((a, b) => a.age - b.age)[0]?.version;
}

function tileBytes(path: string, hashes: number): Buffer {
  return Buffer.concat(Array.from({ length: hashes }, (_, i) => createHash('sha256').update(`${path}#${i}`).digest()));
}
