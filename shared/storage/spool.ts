import { close, openSync, read } from 'node:fs';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import type { StagingWatcher } from './blob-store.js';

const readAt = promisify(read);
const closeFd = promisify(close);
const CHUNK_BYTES = 1024 * 1024;

export type SpoolProgress = 'verified' | 'filling' | 'failed';

/**
 * A download this process is staging to a local file, readable while it is written: clients
 * waiting for the artifact are answered from here before it is committed (and, for a slow
 * download, before it is verified). Its file descriptor stays open until the fetcher and
 * every reader are done, so the staged file may be renamed or removed meanwhile.
 */
export class Spool implements StagingWatcher {
  /** The length upstream announced, if any. */
  expectedSize: number | undefined;
  /** Set once verified. */
  sha256: string | undefined;
  size: number | undefined;
  private fd: number | undefined;
  private written = 0;
  private error: Error | undefined;
  private isDeclared = false;
  /** The fetcher's reference and one per reader. */
  private references = 1;
  /** Readers waiting for more bytes or the outcome. */
  private waiters: (() => void)[] = [];
  private settle!: () => void;
  /** Resolves once verified or failed. */
  private readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(
    private readonly registry: Spools,
    readonly key: string,
  ) {}

  opened(file: string): void {
    this.fd = openSync(file, 'r');
    this.publishWhenReady();
  }

  wrote(total: number): void {
    this.written = total;
    this.wake();
  }

  /** What the bytes should be is known and recorded, so readers can judge policy. */
  declared(): void {
    this.isDeclared = true;
    this.publishWhenReady();
  }

  /** The bytes are whole and match their declaration. */
  verified(sha256: string, size: number): void {
    this.sha256 = sha256;
    this.size = size;
    this.settle();
    this.wake();
  }

  failed(error: Error): void {
    if (this.size !== undefined || this.error) return;
    this.error = error;
    this.settle();
    this.wake();
  }

  /** The fetcher is done with it: no new readers, and the file closes after the last. */
  withdraw(): void {
    if (this.size === undefined) this.failed(new Error('the download ended before it was verified'));
    this.registry.remove(this);
    this.release();
  }

  /** Resolves once verified or failed, or with 'filling' after fillingAfterMs while still being written. */
  async progress(fillingAfterMs: number): Promise<SpoolProgress> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.settled, new Promise((resolve) => (timer = setTimeout(resolve, fillingAfterMs)))]);
    clearTimeout(timer);
    return this.error ? 'failed' : this.size !== undefined ? 'verified' : 'filling';
  }

  /** A reference for a reader to be; give it back with release() unless read() takes it. */
  retain(): this {
    this.references++;
    return this;
  }

  release(): void {
    if (--this.references > 0 || this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    void closeFd(fd).catch(() => {});
  }

  /**
   * The bytes from the start, following the writer. The last byte is
   * held back until the whole is verified, so a client never receives a complete response
   * that turns out wrong: a failed download destroys the stream instead. Takes over the
   * reference retain() gave.
   */
  read(): Readable {
    let position = 0;
    const spool = this;
    let released = false;
    const releaseOnce = () => {
      if (!released) spool.release();
      released = true;
    };
    return new Readable({
      highWaterMark: CHUNK_BYTES,
      async read() {
        try {
          const chunk = await spool.chunkAt(position);
          if (chunk) position += chunk.length;
          this.push(chunk);
        } catch (err) {
          this.destroy(err as Error);
        }
      },
      destroy(err, done) {
        releaseOnce();
        done(err);
      },
    }).on('end', releaseOnce);
  }

  private async chunkAt(position: number): Promise<Buffer | null> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.size !== undefined && position >= this.size) return null;
      const limit = this.size ?? (this.expectedSize === undefined ? this.written : Math.min(this.written, this.expectedSize - 1));
      const available = limit - position;
      if (available > 0 && this.fd !== undefined) {
        const buffer = Buffer.allocUnsafe(Math.min(available, CHUNK_BYTES));
        const { bytesRead } = await readAt(this.fd, buffer, 0, buffer.length, position);
        if (bytesRead > 0) return buffer.subarray(0, bytesRead);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private publishWhenReady(): void {
    if (this.isDeclared && this.fd !== undefined && !this.error) this.registry.publish(this);
  }
}

/** The spools of this process's running downloads, by artifact key. */
export class Spools {
  private readonly byKey = new Map<string, Spool>();
  private readonly waiting = new Map<string, Set<(spool: Spool) => void>>();

  create(key: string): Spool {
    return new Spool(this, key);
  }

  publish(spool: Spool): void {
    if (this.byKey.get(spool.key) === spool) return;
    this.byKey.set(spool.key, spool);
    for (const notify of this.waiting.get(spool.key) ?? []) notify(spool);
  }

  remove(spool: Spool): void {
    if (this.byKey.get(spool.key) === spool) this.byKey.delete(spool.key);
  }

  /**
   * The spool for key once published, retained for the caller; undefined if `until` settles
   * first (the download finished, or runs in another process).
   */
  async await(key: string, until: Promise<unknown>): Promise<Spool | undefined> {
    const current = this.byKey.get(key);
    if (current) return current.retain();
    let settled = false;
    let resolve!: (spool: Spool | undefined) => void;
    const published = new Promise<Spool | undefined>((r) => (resolve = r));
    const notify = (spool: Spool | undefined) => {
      if (settled) return;
      settled = true;
      resolve(spool?.retain());
    };
    const listeners = this.waiting.get(key) ?? new Set();
    const onPublish = (spool: Spool) => notify(spool);
    listeners.add(onPublish);
    this.waiting.set(key, listeners);
    const done = () => notify(undefined);
    until.then(done, done);
    try {
      return await published;
    } finally {
      listeners.delete(onPublish);
      if (listeners.size === 0) this.waiting.delete(key);
    }
  }
}
