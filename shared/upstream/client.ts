import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, errors, interceptors, request, type Dispatcher } from 'undici';
import { HttpError } from '../http-error.js';
import type { Metrics } from '../telemetry/metrics.js';

export interface UpstreamResponse {
  /** The URL that answered. */
  url: string;
  status: number;
  headers: Record<string, string | undefined>;
  /** Decoded body: any Content-Encoding is already undone. */
  body: Readable;
}

export interface UpstreamRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Readable;
}

/** An upstream fault, answered to clients as 502 (bad answer, unreachable) or 504 (timeout). */
export class UpstreamError extends HttpError {}

/**
 * Upstream bytes that do not match what was declared for them. Not worth retrying at once:
 * a second download from the same upstream brings the same bytes.
 */
export class IntegrityError extends UpstreamError {
  readonly final = true;
  constructor(message: string) {
    super(502, message);
  }
}

const USER_AGENT = 'pkgproxy/0.1 (+https://github.com/pkgproxy/pkgproxy)';

/**
 * HTTP client for upstream registries: pooled keep-alive connections, timeouts, and a list of
 * upstreams tried in order. A later upstream is tried when an earlier one answers 404/410,
 * fails, or times out; 404 is returned only when every upstream said so.
 */
export class UpstreamClient {
  private readonly agent: Agent;
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly options: { timeoutMs: number; metrics: Metrics },
  ) {
    this.agent = new Agent({
      connections: 128,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: Math.min(options.timeoutMs, 10_000) },
    });
    // Registries send downloads to CDNs (crates.io, rubygems.org): follow a few redirects.
    this.dispatcher = this.agent.compose(interceptors.redirect({ maxRedirections: 5 }));
  }

  /** Sends the request to each URL in turn until one has the resource. */
  async fetch(ecosystem: string, urls: string[], init: UpstreamRequest = {}): Promise<UpstreamResponse> {
    let firstError: UpstreamError | undefined;
    let notFound: UpstreamResponse | undefined;
    // A request body can be sent once, so only the first upstream gets it.
    const candidates = init.body ? urls.slice(0, 1) : urls;
    for (const url of candidates) {
      let response: UpstreamResponse;
      try {
        response = await this.send(ecosystem, url, init);
      } catch (err) {
        firstError ??= err as UpstreamError;
        continue;
      }
      if (response.status === 404 || response.status === 410) {
        response.body.resume();
        notFound = response;
        continue;
      }
      if (response.status >= 500) {
        response.body.resume();
        firstError ??= new UpstreamError(502, `upstream ${originOf(url)} answered ${response.status}`);
        continue;
      }
      return response;
    }
    if (firstError) throw firstError;
    return notFound!;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async send(ecosystem: string, url: string, init: UpstreamRequest): Promise<UpstreamResponse> {
    const started = performance.now();
    let result: Dispatcher.ResponseData;
    try {
      result = await request(url, {
        dispatcher: this.dispatcher,
        method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: { 'user-agent': USER_AGENT, ...init.headers },
        body: init.body,
      });
    } catch (err) {
      const timedOut = err instanceof errors.HeadersTimeoutError || err instanceof errors.ConnectTimeoutError;
      this.options.metrics.upstreamRequests.inc({ ecosystem, status: timedOut ? 'timeout' : 'error' });
      if (timedOut) throw new UpstreamError(504, `upstream ${originOf(url)} did not answer within ${Math.round(this.options.timeoutMs / 1000)}s`);
      throw new UpstreamError(502, `upstream ${originOf(url)} unreachable: ${describeNetworkError(err)}`);
    }
    this.options.metrics.upstreamDuration.observe({ ecosystem }, (performance.now() - started) / 1000);
    this.options.metrics.upstreamRequests.inc({ ecosystem, status: String(result.statusCode) });
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(result.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    return { url, status: result.statusCode, headers, body: decode(result.body, headers) };
  }
}

/** Undoes Content-Encoding, which is a property of the transfer, not of the stored bytes. */
function decode(body: Readable, headers: Record<string, string | undefined>): Readable {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'br' ? createBrotliDecompress() : encoding === 'deflate' ? createInflate() : undefined;
  if (!decoder) return body;
  delete headers['content-encoding'];
  delete headers['content-length'];
  body.on('error', (err) => decoder.destroy(err));
  return body.pipe(decoder);
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function describeNetworkError(err: unknown): string {
  const error = err as { code?: string; cause?: { code?: string }; message?: string };
  return error.cause?.code ?? error.code ?? error.message ?? String(err);
}
