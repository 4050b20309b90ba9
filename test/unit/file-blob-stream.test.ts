import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { get as rawGet, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStream } from '../../shared/storage/file-blob-stream.js';
import { get, listenOnLoopback, type LoopbackServer } from '../helpers/http.js';

const SIZE = 5 * 1024 * 1024 + 12;
const bytes = Buffer.alloc(SIZE);
for (let i = 0; i + 4 <= SIZE; i += 4) bytes.writeUInt32BE(i, i);
const file = join(mkdtempSync(join(tmpdir(), 'pkgproxy-file-blob-')), 'blob');

const streamOf = async (start?: number, end?: number) => new FileBlobStream(await open(file, 'r'), start, end);

describe('FileBlobStream', () => {
  let serve: (res: ServerResponse) => Promise<void>;
  let server: LoopbackServer;

  beforeAll(async () => {
    writeFileSync(file, bytes);
    server = await listenOnLoopback((_req, res) => void serve(res).catch(() => res.destroy()));
  });
  afterAll(() => server.close());

  it('ends a response through pipeline(), which pipes without ending and ends on the stream’s end', async () => {
    serve = async (res) => pipeline(await streamOf(10), res);
    expect((await get(server.url)).body.equals(bytes.subarray(10))).toBe(true);
  });

  it('gives consumers that are not HTTP responses buffers of their own', async () => {
    // A PassThrough completes each write at once while still holding the chunk.
    const held = new PassThrough({ highWaterMark: 2 * SIZE });
    await pipeline(await streamOf(), held);
    const chunks: Buffer[] = [];
    for await (const chunk of held) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it('stops reading and closes its file when the client goes away', async () => {
    const stream = await streamOf();
    const closed = new Promise<void>((resolve) => stream.once('close', resolve));
    serve = async (res) => {
      res.once('close', () => stream.destroy());
      stream.pipe(res);
    };
    await new Promise<void>((resolve, reject) => {
      const request = rawGet(server.url, (res) => {
        res.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', (err) => (err.message.includes('aborted') || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err)));
    });
    await closed;
    await expect(stream['handle'].stat()).rejects.toThrow(/closed/);
  });

  it('fails, rather than ending early, when the file is shorter than its range', async () => {
    const stream = await streamOf(0, SIZE + 100);
    let failure: Error | undefined;
    serve = async (res) => pipeline(stream, res).catch((err: Error) => void (failure = err));
    await expect(get(server.url)).rejects.toThrow();
    expect(failure?.message).toMatch(/ended 101 bytes early/);
  });
});
