import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { get } from 'node:http';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobNotFound, type BlobStore } from '../../shared/storage/blob-store.js';
import { listenOnLoopback } from '../helpers/http.js';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** What every BlobStore backend must do; run by each backend's test file. */
export function blobStoreCompliance(name: string, open: () => Promise<BlobStore>) {
  describe(`BlobStore compliance: ${name}`, () => {
    let store: BlobStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('addresses bytes by their sha256 and reads them back', async () => {
      const staged = await store.stage(Readable.from([Buffer.from('hello '), Buffer.from('world')]));
      expect(staged.sha256).toBe(sha256('hello world'));
      expect(staged.size).toBe(11);
      await staged.commit();
      expect(await store.stat(staged.sha256)).toBe(11);
      expect(await text(await store.open(staged.sha256))).toBe('hello world');
    });

    it('keeps staged bytes invisible until commit, and drops them on abort', async () => {
      const staged = await store.stage(Readable.from([Buffer.from(`invisible ${Math.random()}`)]));
      expect(await store.stat(staged.sha256)).toBeUndefined();
      await expect(store.open(staged.sha256)).rejects.toBeInstanceOf(BlobNotFound);
      await staged.abort();
      expect(await store.stat(staged.sha256)).toBeUndefined();
    });

    it('stores the same bytes once, however often they are committed', async () => {
      const body = `shared ${Math.random()}`;
      const first = await store.stage(Readable.from([Buffer.from(body)]));
      const second = await store.stage(Readable.from([Buffer.from(body)]));
      await first.commit();
      await second.commit();
      expect(first.sha256).toBe(second.sha256);
      expect(await text(await store.open(first.sha256))).toBe(body);
    });

    it('serves inclusive byte ranges', async () => {
      const staged = await store.stage(Readable.from([Buffer.from('0123456789')]));
      await staged.commit();
      expect(await text(await store.open(staged.sha256, { start: 2, end: 5 }))).toBe('2345');
      expect(await text(await store.open(staged.sha256, { start: 9, end: 9 }))).toBe('9');
    });

    it('streams a large blob without corrupting it', async () => {
      const chunk = Buffer.alloc(1024 * 1024, 7);
      const hash = createHash('sha256');
      const chunks = Array.from({ length: 24 }, (_, i) => {
        const c = Buffer.from(chunk);
        c.writeUInt32BE(i, 0);
        hash.update(c);
        return c;
      });
      const staged = await store.stage(Readable.from(chunks));
      await staged.commit();
      expect(staged.sha256).toBe(hash.digest('hex'));
      const read = createHash('sha256');
      for await (const part of await store.open(staged.sha256)) read.update(part as Buffer);
      expect(read.digest('hex')).toBe(staged.sha256);
    });

    it('sends a large blob, whole and in part, into HTTP responses whose clients read slowly', async () => {
      const bytes = Buffer.alloc(6 * 1024 * 1024 + 332);
      for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32BE(i, i);
      const staged = await store.stage(Readable.from([bytes]));
      await staged.commit();
      // As the gateway sends a body: the store's stream piped into the response.
      const server = await listenOnLoopback((req, res) => {
        store.open(staged.sha256, req.url === '/part' ? { start: 1000, end: 4_500_000 } : undefined).then((body) => body.pipe(res), (err: Error) => res.destroy(err));
      });
      try {
        const [whole, part] = await Promise.all([slowlyRead(server.url), slowlyRead(`${server.url}part`)]);
        expect(sha256(whole)).toBe(staged.sha256);
        expect(part.equals(bytes.subarray(1000, 4_500_001))).toBe(true);
      } finally {
        await server.close();
      }
    });

    it('tells a staging watcher only of bytes already in its file, however the chunks arrive', async () => {
      // Uneven chunks, some arriving while a write is still in flight, some after a pause.
      const chunks = Array.from({ length: 600 }, (_, i) => Buffer.alloc(1000 + ((i * 7919) % 30_000), i % 251));
      const whole = Buffer.concat(chunks);
      async function* arriving() {
        for (const [i, chunk] of chunks.entries()) {
          if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
          yield chunk;
        }
      }
      let file: string | undefined;
      const reported: number[] = [];
      const staged = await store.stage(Readable.from(arriving()), {
        opened: (path) => (file = path),
        wrote: (total) => {
          reported.push(total);
          const tail = Buffer.alloc(Math.min(total, 64));
          const fd = openSync(file!, 'r');
          try {
            readSync(fd, tail, 0, tail.length, total - tail.length);
          } finally {
            closeSync(fd);
          }
          expect(tail.equals(whole.subarray(total - tail.length, total))).toBe(true);
        },
      });
      expect(staged.sha256).toBe(sha256(whole));
      if (file !== undefined) {
        expect(reported.at(-1)).toBe(whole.length);
        expect(reported.every((total, i) => i === 0 || total > reported[i - 1]!)).toBe(true);
      }
      await staged.abort();
    });

    it('leaves nothing behind when the source fails mid-stream', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.from('partial'));
          this.destroy(new Error('connection reset'));
        },
      });
      await expect(store.stage(failing)).rejects.toThrow('connection reset');
      expect(await store.stat(sha256('partial'))).toBeUndefined();
    });

    it('deletes blobs, and deleting a missing blob is not an error', async () => {
      const staged = await store.stage(Readable.from([Buffer.from(`doomed ${Math.random()}`)]));
      await staged.commit();
      await store.delete(staged.sha256);
      expect(await store.stat(staged.sha256)).toBeUndefined();
      await store.delete(staged.sha256);
    });

    it('answers a readiness ping', async () => {
      await store.ping();
    });

    it('refuses keys that are not sha256 digests', async () => {
      await expect(store.open('../../etc/passwd')).rejects.toThrow(/not a sha256/);
      await expect(store.stat('ABC')).rejects.toThrow(/not a sha256/);
    });
  });
}

/** A client that waits before reading and pauses as it goes, so the sender's writes queue up. */
function slowlyRead(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.pause();
      setTimeout(() => res.resume(), 100);
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (chunks.length % 8 === 0) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    }).on('error', reject);
  });
}
