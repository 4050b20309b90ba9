import { OutgoingMessage } from 'node:http';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

const CHUNK_BYTES = 512 * 1024;

/** Written-out read buffers kept for the next response; at most this many sit idle. */
const SPARE_BUFFERS = 8;

/** Read buffers one response may have in flight: one being read while the other is being sent. */
const BUFFERS_PER_RESPONSE = 2;

const spare: Buffer[] = [];

/**
 * A blob file's bytes, from `start` to `end` inclusive or to the end of the file; it owns the
 * handle and closes it.
 *
 * Piped into an HTTP response, it reads into two 512 KB buffers and reads into each again only
 * once the response has written it to its socket. A fresh buffer per read, as
 * fs.createReadStream allocates, left the garbage collector freeing them in batches and glibc
 * returning and re-mapping that memory: hundreds of thousands of page faults that halved the
 * throughput of large downloads. Any other consumer may hold on to a chunk after its write
 * completes (a Transform pushes it on), so it gets a fresh buffer per read as before.
 */
export class FileBlobStream extends Readable {
  private position: number;
  private pumping = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly handle: FileHandle,
    start = 0,
    private readonly end = Infinity,
  ) {
    super({ highWaterMark: CHUNK_BYTES });
    this.position = start;
  }

  override _read(): void {
    const length = Math.min(CHUNK_BYTES, this.end - this.position + 1);
    if (length <= 0) {
      this.push(null);
      return;
    }
    this.readChunk(Buffer.allocUnsafeSlow(length), length).then(
      (chunk) => this.push(chunk ?? null),
      (err: Error) => this.destroy(err),
    );
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    if (!(destination instanceof OutgoingMessage) || this.pumping || this.readableFlowing !== null) return super.pipe(destination, options);
    this.pumping = true;
    this.pump(destination, options?.end !== false).catch((err: Error) => this.destroy(err));
    return destination;
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.wakeUp();
    this.handle.close().then(
      () => callback(err),
      () => callback(err),
    );
  }

  private async pump(response: OutgoingMessage, endResponse: boolean): Promise<void> {
    let closed = false;
    const onClose = () => {
      closed = true;
      this.wakeUp();
    };
    response.once('close', onClose);
    const free: Buffer[] = [];
    let owned = 0;
    let pumped = false;
    // Only a buffer whose write has completed is read into again; one still in flight is the response's.
    const release = (buffer: Buffer) => {
      if (!pumped) free.push(buffer);
      else if (spare.length < SPARE_BUFFERS) spare.push(buffer);
      this.wakeUp();
    };
    try {
      for (;;) {
        if (closed || this.destroyed) return;
        let buffer = free.pop();
        if (!buffer && owned < BUFFERS_PER_RESPONSE) {
          buffer = spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
          owned++;
        }
        if (!buffer) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        const length = Math.min(CHUNK_BYTES, this.end - this.position + 1);
        const chunk = length > 0 ? await this.readChunk(buffer, length) : undefined;
        if (closed || this.destroyed) return;
        if (!chunk) {
          free.push(buffer);
          break;
        }
        const written = buffer;
        response.write(chunk, (err) => {
          if (!err) release(written);
        });
      }
      // Every chunk is with the response; 'end' tells stream.finished and pipeline() we are done.
      this.push(null);
      this.resume();
      if (endResponse) response.end();
    } finally {
      pumped = true;
      response.removeListener('close', onClose);
      for (const buffer of free.splice(0)) release(buffer);
    }
  }

  /** The next bytes read into `buffer`; undefined at the end of a file read to its end. */
  private async readChunk(buffer: Buffer, length: number): Promise<Buffer | undefined> {
    const { bytesRead } = await this.handle.read(buffer, 0, length, this.position);
    if (bytesRead === 0) {
      if (this.end === Infinity) return undefined;
      throw new Error(`blob file ended ${this.end - this.position + 1} bytes early`);
    }
    this.position += bytesRead;
    return buffer.subarray(0, bytesRead);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
