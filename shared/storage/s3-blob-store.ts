import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertSha256, BlobNotFound, hashingStream, settleOnce, type BlobStore, type ByteRange, type StagedBlob } from './blob-store.js';
import type { S3Location } from './storage-url.js';

/** Multipart part size and parts in flight: a download holds at most 16 MB in memory. */
const PART_SIZE = 8 * 1024 ** 2;
const PARTS_IN_FLIGHT = 2;
/** The largest object one CopyObject call can copy. */
const COPY_LIMIT = 5 * 1024 ** 3;

/**
 * Blobs as objects under <prefix>blobs/ab/cd/<sha256> in an S3 bucket. Staging uploads the
 * bytes (a streamed multipart upload, hashed on the way) under <prefix>staging/, and commit
 * copies them to their final key in one CopyObject, so a reader sees a whole object or none:
 * an unfinished multipart upload is never listed. Nothing relies on conditional PUT, which not
 * every S3-compatible store has: two commits of the same sha256 write the same bytes.
 *
 * Staged objects of a process that died between upload and commit, and the parts of uploads
 * it never finished, are left to a bucket lifecycle rule (see the README).
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;

  constructor(private readonly location: S3Location) {
    // Credentials come from the standard AWS chain: environment, profile, container or instance role.
    this.client = new S3Client({
      ...(location.endpoint !== undefined ? { endpoint: location.endpoint } : {}),
      ...(location.region !== undefined ? { region: location.region } : {}),
      forcePathStyle: location.forcePathStyle,
      // Every artifact a gateway streams holds a connection; the default of 50 queues the rest.
      requestHandler: { connectionTimeout: 5000, httpAgent: { keepAlive: true, maxSockets: 512 }, httpsAgent: { keepAlive: true, maxSockets: 512 } },
    });
  }

  async stage(source: Readable): Promise<StagedBlob> {
    const key = `${this.location.prefix}staging/${randomUUID()}`;
    const hasher = hashingStream();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: key, Body: hasher.stream },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    try {
      await Promise.all([pipeline(source, hasher.stream), upload.done()]);
    } catch (err) {
      hasher.stream.destroy();
      await upload.abort().catch(() => {});
      await this.deleteKey(key).catch(() => {});
      throw err;
    }
    const { sha256, size } = hasher.result();
    return settleOnce(sha256, size, {
      commit: async () => {
        if ((await this.stat(sha256)) !== size) {
          if (size > COPY_LIMIT) throw new Error(`blob ${sha256} is ${size} bytes: the S3 store copies at most 5 GiB into place`);
          await this.client.send(
            new CopyObjectCommand({ Bucket: this.location.bucket, Key: this.keyOf(sha256), CopySource: `${this.location.bucket}/${key.split('/').map(encodeURIComponent).join('/')}` }),
          );
        }
        await this.deleteKey(key);
      },
      abort: () => this.deleteKey(key).catch(() => {}),
    });
  }

  async stat(sha256: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.keyOf(sha256) }));
      return head.ContentLength;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async open(sha256: string, range?: ByteRange): Promise<Readable> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.keyOf(sha256), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      return object.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFound(sha256);
      throw err;
    }
  }

  async delete(sha256: string): Promise<void> {
    await this.deleteKey(this.keyOf(sha256));
  }

  /** A time-limited URL anyone can GET the blob from, without credentials. */
  async presignedUrl(sha256: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.location.bucket, Key: this.keyOf(sha256) }), { expiresIn: expiresInSeconds });
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async deleteKey(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: key }));
  }

  private keyOf(sha256: string): string {
    assertSha256(sha256);
    return `${this.location.prefix}blobs/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
