import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

/**
 * Content-addressed storage for artifact and metadata bytes, keyed by sha256 (lower-case hex).
 * Bytes become visible only through commit(), after the caller has verified them, so a
 * half-written or unverified blob is never readable.
 */
export interface BlobStore {
  /**
   * Streams bytes into a private staging area, hashing them on the way. A store that stages
   * to a local file tells the watcher where, and how far it has written.
   */
  stage(source: Readable, watcher?: StagingWatcher): Promise<StagedBlob>;
  /** Size of a stored blob, or undefined when there is none. */
  stat(sha256: string): Promise<number | undefined>;
  /** Opens a blob, or the inclusive byte range of it; rejects with BlobNotFound. */
  open(sha256: string, range?: ByteRange): Promise<Readable>;
  delete(sha256: string): Promise<void>;
  /** A time-limited URL clients can download the blob from directly, where the store has one. */
  presignedUrl?(sha256: string, expiresInSeconds: number): Promise<string>;
  /** Rejects when the store cannot be reached, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StagingWatcher {
  /** The local file being written, as soon as it exists. */
  opened(file: string): void;
  /** The first `total` bytes of that file are written. */
  wrote(total: number): void;
}

export interface StagedBlob {
  readonly sha256: string;
  readonly size: number;
  /** Publishes the bytes under their sha256; a blob already stored with it is kept. */
  commit(): Promise<void>;
  /** Throws the staged bytes away. */
  abort(): Promise<void>;
}

/** A StagedBlob whose commit and abort run at most once between them, whichever comes first. */
export function settleOnce(sha256: string, size: number, actions: { commit(): Promise<void>; abort(): Promise<void> }): StagedBlob {
  let settled = false;
  const once = (action: () => Promise<void>) => async () => {
    if (settled) return;
    settled = true;
    await action();
  };
  return { sha256, size, commit: once(actions.commit), abort: once(actions.abort) };
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export class BlobNotFound extends Error {
  constructor(readonly sha256: string) {
    super(`blob ${sha256} is not in the store`);
  }
}

/** A pass-through stream that hashes and counts what a store writes; read the result once it ends. */
export function hashingStream(): { stream: Transform; result(): { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest('hex'), size }) };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Guards every key that reaches a path or an object name. */
export function assertSha256(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256 hex digest: ${JSON.stringify(sha256.slice(0, 80))}`);
}
