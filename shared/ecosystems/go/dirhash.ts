import { createHash } from 'node:crypto';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import type { DownloadedBytes } from '../types.js';

/**
 * go.sum's "h1:" hashes (golang.org/x/mod/sumdb/dirhash.Hash1): the base64 SHA-256 of the
 * lines "<hex sha256 of a file>  <file name>\n" for every file, sorted by name. A module
 * zip's files are read in one pass over the bytes, guided by the zip's central directory.
 */

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const LOCAL_HEADER_SIZE = 30;
/** The go command refuses module zips that unpack to more than this. */
const MAX_UNZIPPED_BYTES = 500 * 1024 * 1024;

interface ZipEntry {
  name: Buffer;
  method: number;
  compressedSize: number;
  offset: number;
}

interface FileHash {
  name: Buffer;
  sha256: string;
}

/** The h1: hash of a go.mod file, as the checksum database records "<module> <version>/go.mod". */
export async function goModHash(bytes: DownloadedBytes): Promise<string> {
  return hash1([{ name: Buffer.from('go.mod'), sha256: await sha256Of(await bytes.open(), []) }]);
}

/** The h1: hash of a module zip (dirhash.HashZip). Throws when the zip cannot be read. */
export async function zipHash(bytes: DownloadedBytes): Promise<string> {
  const entries = (await centralDirectory(bytes)).sort((a, b) => a.offset - b.offset);
  const stream = await bytes.open();
  const reader = new SequentialReader(stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const unzipped = { bytes: 0 };
  const files: FileHash[] = [];
  try {
    for (const entry of entries) {
      await reader.skipTo(entry.offset);
      const header = await reader.read(LOCAL_HEADER_SIZE);
      if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) throw new Error(`no local header for ${entry.name.toString()} at offset ${entry.offset}`);
      await reader.skipTo(entry.offset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28));
      const data = Readable.from(reader.take(entry.compressedSize));
      if (entry.method !== 0 && entry.method !== 8) throw new Error(`${entry.name.toString()} uses compression method ${entry.method}`);
      files.push({ name: entry.name, sha256: await sha256Of(data, entry.method === 8 ? [createInflateRaw()] : [], unzipped) });
    }
  } finally {
    stream.destroy();
  }
  return hash1(files);
}

function hash1(files: FileHash[]): string {
  const summary = createHash('sha256');
  for (const file of [...files].sort((a, b) => Buffer.compare(a.name, b.name))) {
    if (file.name.includes(0x0a)) throw new Error('a file name holds a newline');
    summary.update(`${file.sha256}  `).update(file.name).update('\n');
  }
  return `h1:${summary.digest('base64')}`;
}

async function sha256Of(source: Readable, transforms: Transform[], unzipped = { bytes: 0 }): Promise<string> {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      unzipped.bytes += chunk.length;
      if (unzipped.bytes > MAX_UNZIPPED_BYTES) return done(new Error(`unpacks to more than ${MAX_UNZIPPED_BYTES} bytes`));
      hash.update(chunk);
      done();
    },
  });
  await pipeline([source, ...transforms, sink]);
  return hash.digest('hex');
}

/** The zip's file list, from the end-of-central-directory record and the directory it points to. */
async function centralDirectory(bytes: DownloadedBytes): Promise<ZipEntry[]> {
  const tailSize = Math.min(bytes.size, EOCD_SIZE + 0xffff);
  if (tailSize < EOCD_SIZE) throw new Error('too short to be a zip');
  const tail = await readRange(bytes, bytes.size - tailSize, tailSize);
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0 && eocd < 0; i--) if (tail.readUInt32LE(i) === EOCD_SIGNATURE) eocd = i;
  if (eocd < 0) throw new Error('no end of central directory record');
  const count = tail.readUInt16LE(eocd + 10);
  const size = tail.readUInt32LE(eocd + 12);
  const offset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) throw new Error('zip64 archives are not supported');
  if (offset + size > bytes.size) throw new Error('central directory lies outside the file');
  const directory = await readRange(bytes, offset, size);
  const entries: ZipEntry[] = [];
  for (let at = 0; entries.length < count; ) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new Error('malformed central directory');
    const nameLength = directory.readUInt16LE(at + 28);
    entries.push({
      method: directory.readUInt16LE(at + 10),
      compressedSize: directory.readUInt32LE(at + 20),
      offset: directory.readUInt32LE(at + 42),
      name: Buffer.from(directory.subarray(at + 46, at + 46 + nameLength)),
    });
    at += 46 + nameLength + directory.readUInt16LE(at + 30) + directory.readUInt16LE(at + 32);
  }
  return entries;
}

async function readRange(bytes: DownloadedBytes, start: number, length: number): Promise<Buffer> {
  if (length === 0) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of await bytes.open({ start, end: start + length - 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads a stream front to back: exact byte counts, skips, and sub-streams of a given length. */
class SequentialReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Offset in the stream of pending[0]. */
  private position = 0;

  constructor(private readonly chunks: AsyncIterator<Buffer>) {}

  async read(length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of this.take(length)) parts.push(part);
    return Buffer.concat(parts);
  }

  async skipTo(offset: number): Promise<void> {
    if (offset < this.position) throw new Error('zip entries overlap');
    for await (const _ of this.take(offset - this.position));
  }

  async *take(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      if (this.pending.length === 0) {
        const next = await this.chunks.next();
        if (next.done) throw new Error('zip ends early');
        this.pending = next.value;
      }
      const part = this.pending.subarray(0, Math.min(left, this.pending.length));
      this.pending = this.pending.subarray(part.length);
      this.position += part.length;
      left -= part.length;
      yield part;
    }
  }
}
