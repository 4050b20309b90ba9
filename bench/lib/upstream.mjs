// The fake upstream npm registry every system under test fronts: packuments rendered once,
// tarballs from memory, the 1 GB artifact streamed from disk, an optional delay added to
// every request, and counters of what was asked for.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { packumentOf } from './fixtures.mjs';

export class FakeUpstream {
  /** Delay added to every request, in ms. */
  delayMs = 0;
  counts = { packument: 0, tarball: 0, other: 0 };
  url = '';

  constructor(packages) {
    this.packages = packages;
    this.now = Date.now();
    this.documents = new Map();
    this.tarballs = new Map();
    for (const pkg of packages.values()) {
      for (const v of pkg.versions) this.tarballs.set(`${pkg.name}/-/${pkg.name}-${v.version}.tgz`, v.tarball);
    }
  }

  async start(host = '127.0.0.1', port = 0) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise((resolve) => this.server.listen(port, host, resolve));
    const address = this.server.address();
    const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
    this.url = `http://${shownHost}:${address.port}/`;
    return this;
  }

  /** Public URL used in tarball links (--upstream-url when the upstream is reached from elsewhere). */
  setPublicUrl(url) {
    this.publicUrl = url;
    this.documents.clear();
  }

  async stop() {
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  resetCounts() {
    this.counts = { packument: 0, tarball: 0, other: 0 };
  }

  snapshot() {
    return { ...this.counts, total: this.counts.packument + this.counts.tarball + this.counts.other };
  }

  document(name) {
    let doc = this.documents.get(name);
    if (!doc) {
      const pkg = this.packages.get(name);
      if (!pkg) return undefined;
      const body = Buffer.from(JSON.stringify(packumentOf(pkg, this.publicUrl ?? this.url, this.now)));
      doc = { body, etag: `"${createHash('sha1').update(body).digest('hex')}"` };
      this.documents.set(name, doc);
    }
    return doc;
  }

  handle(req, res) {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0].slice(1)).replace(/^(@[^/]+)%2f/i, '$1/');
    const kind = path.includes('/-/') ? 'tarball' : path.startsWith('-/') || path === '' ? 'other' : 'packument';
    this.counts[kind]++;
    const answer = () => {
      if (kind === 'other') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      if (kind === 'tarball') {
        const tarball = this.tarballs.get(path);
        if (!tarball) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
        if (Buffer.isBuffer(tarball)) return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tarball.length }).end(req.method === 'HEAD' ? undefined : tarball);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tarball.size });
        if (req.method === 'HEAD') return void res.end();
        const stream = createReadStream(tarball.file, { highWaterMark: 1024 * 1024 });
        stream.on('error', () => res.destroy());
        res.on('close', () => stream.destroy());
        return void stream.pipe(res);
      }
      const doc = this.document(path);
      if (!doc) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
      if (req.headers['if-none-match'] === doc.etag) return void res.writeHead(304, { etag: doc.etag }).end();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': doc.body.length, etag: doc.etag }).end(req.method === 'HEAD' ? undefined : doc.body);
    };
    // Request bodies (npm audit and the like) are drained before answering.
    req.resume();
    if (this.delayMs > 0) setTimeout(answer, this.delayMs);
    else answer();
  }
}
