import type { BlobStore } from '../../shared/storage/blob-store.js';

/** Reads a whole blob into memory; only for bounded ones such as metadata documents. */
export async function readBlob(blobs: BlobStore, sha256: string, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await blobs.open(sha256)) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`blob ${sha256} is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}
