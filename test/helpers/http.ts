import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A GET (or any request) with the whole body read: bytes, text and JSON. */
export async function get(url: string, headers: Record<string, string> = {}, init: string | RequestInit = {}) {
  const response = await fetch(url, { headers, ...(typeof init === 'string' ? { method: init } : init) });
  const body = Buffer.from(await response.arrayBuffer());
  const text = body.toString();
  return { status: response.status, statusText: response.statusText, headers: response.headers, body, text, json: () => JSON.parse(text) };
}

/**
 * A request sent exactly as written: fetch() would normalize "..", "%2e%2e" and the like in
 * the path, and refuses a Host header. `init` is a method name or the method and headers.
 */
export function raw(
  base: string,
  path: string,
  init: string | { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; statusMessage: string; text: string }> {
  const { hostname, port } = new URL(base);
  const { method = 'GET', headers = {} } = typeof init === 'string' ? { method: init } : init;
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, statusMessage: res.statusMessage ?? '', text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An HTTP server on a free loopback port, for the fake upstreams. */
export interface LoopbackServer {
  /** Base URL, ending in '/'. */
  url: string;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

export async function listenOnLoopback(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LoopbackServer> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
