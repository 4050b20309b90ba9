import type { Readable } from 'node:stream';
import { UpstreamError, originOf, type UpstreamResponse } from './client.js';

/** Reads a bounded upstream body whole; a body cut short or over the limit is an upstream fault. */
export async function readBody(response: UpstreamResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        (response.body as Readable).destroy();
        throw new UpstreamError(502, `upstream ${originOf(response.url)} sent more than ${limit} bytes for ${response.url}`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    throw transferError(response.url, err);
  }
  const declared = response.headers['content-length'];
  if (declared !== undefined && Number(declared) !== size) {
    throw new UpstreamError(502, `upstream ${originOf(response.url)} ended ${response.url} after ${size} of ${declared} bytes`);
  }
  return Buffer.concat(chunks, size);
}

/** A body that failed mid-transfer: 504 when the upstream went quiet, 502 otherwise. */
export function transferError(url: string, err: unknown): UpstreamError {
  const error = err as { code?: string; message?: string };
  if (error.code === 'UND_ERR_BODY_TIMEOUT') return new UpstreamError(504, `upstream ${originOf(url)} stalled while sending ${url}`);
  return new UpstreamError(502, `upstream ${originOf(url)} failed while sending ${url}: ${error.code ?? error.message ?? String(err)}`);
}
