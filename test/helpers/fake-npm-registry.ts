import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { listenOnLoopback, type LoopbackServer } from './http.js';

/**
 * A local npm registry for tests: real gzipped tarballs made with `tar` (npm's own packer),
 * packuments in the public registry's format with publish times relative to now, and
 * counters of every request so that tests can prove what the proxy fetched.
 */

export interface FakeVersion {
  version: string;
  /** How long ago it was published, in ms. */
  age: number;
  dependencies?: Record<string, string>;
  /** Serve tarball bytes that do not match the declared integrity. */
  corrupt?: boolean;
  /** Random, incompressible bytes packed beside index.js, for tarballs of a given size. */
  payloadBytes?: number;
}

export interface FakePackage {
  name: string;
  versions: FakeVersion[];
  distTags?: Record<string, string>;
  /** Default: a one-line heading. A long readme makes a large packument. */
  readme?: string;
}

interface Built {
  pkg: FakePackage;
  tarballs: Map<string, Buffer>;
  integrity: Map<string, { integrity: string; shasum: string }>;
}

export type Fault = 'none' | '500' | 'hang' | 'truncate' | 'gzip-metadata' | 'invalid-json';

export interface RequestLog {
  method: string;
  url: string;
  accept: string | undefined;
  ifNoneMatch: string | undefined;
}

export class FakeNpmRegistry {
  readonly requests: RequestLog[] = [];
  /** Faults applied to every request whose path matches. */
  readonly faults = new Map<RegExp, Fault>();
  /** Delay added to every response, in ms. */
  delayMs = 0;
  /** Tarballs are sent at this rate when set, so that a test can act halfway through a download. */
  tarballBytesPerSecond = 0;
  /** Tarball body bytes written so far, over every request. */
  tarballBytesSent = 0;
  private readonly packages = new Map<string, Built>();
  private listener?: LoopbackServer;
  private readonly hanging = new Set<ServerResponse>();
  url = '';

  async start(): Promise<this> {
    this.listener = await listenOnLoopback((req, res) => void this.handle(req, res));
    this.url = this.listener.url;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    await this.listener?.close();
  }

  async publish(pkg: FakePackage): Promise<void> {
    const tarballs = new Map<string, Buffer>();
    const integrity = new Map<string, { integrity: string; shasum: string }>();
    for (const v of pkg.versions) {
      const bytes = await packTarball(pkg.name, v);
      integrity.set(v.version, {
        integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
        shasum: createHash('sha1').update(bytes).digest('hex'),
      });
      tarballs.set(v.version, v.corrupt ? Buffer.concat([bytes, Buffer.from('tampered')]) : bytes);
    }
    this.packages.set(pkg.name, { pkg, tarballs, integrity });
  }

  /** Requests whose path matched, e.g. tarball downloads: count(/\.tgz$/). */
  count(pattern: RegExp): number {
    return this.requests.filter((r) => pattern.test(r.url)).length;
  }

  tarballBytes(name: string, version: string): Buffer {
    return this.packages.get(name)!.tarballs.get(version)!;
  }

  packument(name: string): Record<string, unknown> {
    const built = this.packages.get(name);
    if (!built) throw new Error(`no fake package ${name}`);
    const now = Date.now();
    const { pkg } = built;
    const time: Record<string, string> = {};
    const versions: Record<string, unknown> = {};
    const oldest = Math.max(...pkg.versions.map((v) => v.age));
    const newest = Math.min(...pkg.versions.map((v) => v.age));
    time.created = new Date(now - oldest).toISOString();
    time.modified = new Date(now - newest).toISOString();
    for (const v of pkg.versions) {
      time[v.version] = new Date(now - v.age).toISOString();
      const file = `${pkg.name.split('/').pop()}-${v.version}.tgz`;
      const dist = built.integrity.get(v.version)!;
      versions[v.version] = {
        name: pkg.name,
        version: v.version,
        description: `fake ${pkg.name}`,
        main: 'index.js',
        scripts: { test: 'echo ok' },
        dependencies: v.dependencies ?? {},
        _id: `${pkg.name}@${v.version}`,
        dist: { ...dist, tarball: `${this.url}${pkg.name}/-/${file}` },
      };
    }
    const latest = [...pkg.versions].filter((v) => !v.version.includes('-')).sort((a, b) => a.age - b.age)[0]?.version;
    return {
      _id: pkg.name,
      name: pkg.name,
      'dist-tags': pkg.distTags ?? (latest ? { latest } : {}),
      versions,
      time,
      modified: time.modified,
      readme: pkg.readme ?? `# ${pkg.name}`,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    this.requests.push({ method: req.method ?? 'GET', url, accept: req.headers.accept, ifNoneMatch: req.headers['if-none-match'] });
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const fault = [...this.faults].find(([pattern]) => pattern.test(url))?.[1] ?? 'none';
    if (fault === '500') return void res.writeHead(500).end('upstream broke');
    if (fault === 'hang') {
      this.hanging.add(res);
      return;
    }
    const path = decodeURIComponent(url.split('?')[0]!.slice(1));
    if (path.startsWith('-/')) return this.api(req, res, path);
    const tarball = /^(.+)\/-\/(.+)\.tgz$/.exec(path);
    if (tarball) return this.tarball(res, tarball[1]!, tarball[2]!, fault);
    if (!this.packages.has(path)) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    const body = fault === 'invalid-json' ? Buffer.from('{"name": "broken", ') : Buffer.from(JSON.stringify(this.packument(path)));
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    if (fault === 'gzip-metadata') {
      const gz = gzipSync(body);
      return void res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length, etag }).end(gz);
    }
    if (fault === 'truncate') return truncate(res, body, 'application/json');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, etag }).end(body);
  }

  private tarball(res: ServerResponse, name: string, file: string, fault: Fault): void {
    const built = this.packages.get(name);
    const version = built?.pkg.versions.find((v) => file === `${name.split('/').pop()}-${v.version}`);
    if (!built || !version) return void res.writeHead(404).end('not found');
    const bytes = built.tarballs.get(version.version)!;
    if (fault === 'truncate') return truncate(res, bytes, 'application/octet-stream');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    if (this.tarballBytesPerSecond === 0) {
      this.tarballBytesSent += bytes.length;
      return void res.end(bytes);
    }
    this.throttle(res, bytes);
  }

  /** Writes a tenth of a second's worth at a time, stopping when the client goes away. */
  private throttle(res: ServerResponse, bytes: Buffer, offset = 0): void {
    if (res.destroyed) return;
    const chunk = bytes.subarray(offset, offset + Math.max(1, Math.floor(this.tarballBytesPerSecond / 10)));
    this.tarballBytesSent += chunk.length;
    if (offset + chunk.length >= bytes.length) return void res.end(chunk);
    res.write(chunk);
    setTimeout(() => this.throttle(res, bytes, offset + chunk.length), 100);
  }

  private api(req: IncomingMessage, res: ServerResponse, path: string): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (path === '-/ping') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      if (path === '-/v1/search') {
        const text = new URL(req.url!, 'http://x').searchParams.get('text') ?? '';
        const objects = [...this.packages.keys()].filter((n) => n.includes(text)).map((name) => ({ package: { name, version: '1.0.0' } }));
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ objects, total: objects.length }));
      }
      if (path.startsWith('-/npm/v1/security/')) {
        const received = Buffer.concat(chunks);
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: received.length, encoding: req.headers['content-encoding'] ?? null }));
      }
      res.writeHead(404).end('{}');
    });
  }
}

/** Declares the full length, sends half, and drops the connection. */
function truncate(res: ServerResponse, body: Buffer, contentType: string): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
}

/** A real npm tarball: package/package.json and package/index.js, gzipped. */
async function packTarball(name: string, v: FakeVersion): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-npm-'));
  try {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'package'));
    writeFileSync(join(dir, 'package', 'package.json'), JSON.stringify({ name, version: v.version, main: 'index.js', dependencies: v.dependencies ?? {} }, null, 2));
    writeFileSync(join(dir, 'package', 'index.js'), `module.exports = ${JSON.stringify(`${name}@${v.version}`)};\n`);
    if (v.payloadBytes) writeFileSync(join(dir, 'package', 'payload.bin'), randomBytes(v.payloadBytes));
    const file = join(dir, 'pkg.tgz');
    await tar.create({ gzip: true, file, cwd: dir, portable: true, mtime: new Date('1985-10-26T08:15:00Z') }, ['package']);
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
