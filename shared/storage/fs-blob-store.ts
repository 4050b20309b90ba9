import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, rename, stat, unlink, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileBlobStream } from './file-blob-stream.js';
import { assertSha256, BlobNotFound, hashingStream, settleOnce, type BlobStore, type ByteRange, type StagedBlob, type StagingWatcher } from './blob-store.js';

const STAGING_ABANDONED_MS = 6 * 60 * 60_000;
/** Chunks arriving while a write is in flight queue up to this much and go out in one writev. */
const STAGING_BUFFER_BYTES = 1024 * 1024;

/**
 * Blobs as files under <root>/blobs/ab/cd/<sha256>. Staging writes to <root>/tmp, fsyncs, and
 * commit renames into place, so a reader sees a whole file or none.
 */
export class FsBlobStore implements BlobStore {
  private readonly tmpDir: string;
  private readonly blobDir: string;
  /** Shard directories known to exist. */
  private readonly shards = new Set<string>();

  constructor(root: string) {
    this.tmpDir = join(root, 'tmp');
    this.blobDir = join(root, 'blobs');
    mkdirSync(this.tmpDir, { recursive: true });
    mkdirSync(this.blobDir, { recursive: true });
    this.removeAbandonedStaging();
  }

  /** Staged files left by a crash were never committed; fresh ones may belong to another process. */
  private removeAbandonedStaging(): void {
    const cutoff = Date.now() - STAGING_ABANDONED_MS;
    for (const name of readdirSync(this.tmpDir)) {
      const file = join(this.tmpDir, name);
      if (statSync(file).mtimeMs < cutoff) rmSync(file, { force: true });
    }
  }

  async stage(source: Readable, watcher?: StagingWatcher): Promise<StagedBlob> {
    const tmp = join(this.tmpDir, randomUUID());
    const hasher = hashingStream();
    try {
      await pipeline(source, hasher.stream, await stagingFile(tmp, watcher));
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    const { sha256, size } = hasher.result();
    const final = this.pathOf(sha256);
    return settleOnce(sha256, size, {
      commit: async () => {
        // Replacing a stored blob with the same bytes is harmless, and cheaper than asking first.
        const shard = dirname(final);
        if (!this.shards.has(shard)) {
          await mkdir(shard, { recursive: true });
          this.shards.add(shard);
        }
        await rename(tmp, final).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
          await mkdir(shard, { recursive: true }); // removed behind our back
          await rename(tmp, final);
        });
      },
      abort: () => unlink(tmp).catch(() => {}),
    });
  }

  async stat(sha256: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async open(sha256: string, range?: ByteRange): Promise<Readable> {
    let handle;
    try {
      handle = await open(this.pathOf(sha256), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFound(sha256);
      throw err;
    }
    return new FileBlobStream(handle, range?.start, range?.end);
  }

  async delete(sha256: string): Promise<void> {
    await unlink(this.pathOf(sha256)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async ping(): Promise<void> {
    await stat(this.blobDir);
  }

  async close(): Promise<void> {}

  private pathOf(sha256: string): string {
    assertSha256(sha256);
    return join(this.blobDir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }
}

/**
 * A new file, telling the watcher how far it got, and fsynced before it is closed, so that a
 * renamed blob is whole on disk even after a crash. The chunks that arrive during one write go
 * out together in the next (a 1 GB download arrives in about 16,000 chunks).
 */
async function stagingFile(file: string, watcher: StagingWatcher | undefined): Promise<Writable> {
  const handle: FileHandle = await open(file, 'wx');
  try {
    watcher?.opened(file);
  } catch (err) {
    await handle.close();
    throw err;
  }
  let total = 0;
  return new Writable({
    highWaterMark: STAGING_BUFFER_BYTES,
    async writev(chunks, done) {
      try {
        const buffers = chunks.map(({ chunk }) => chunk as Buffer);
        const size = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
        const { bytesWritten } = await handle.writev(buffers);
        if (bytesWritten < size) {
          const rest = Buffer.concat(buffers).subarray(bytesWritten);
          for (let offset = 0; offset < rest.length; ) offset += (await handle.write(rest, offset)).bytesWritten;
        }
        total += size;
        watcher?.wrote(total);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    final(done) {
      handle.sync().then(() => done(), done);
    },
    destroy(err, done) {
      handle.close().then(() => done(err), () => done(err));
    },
  });
}
