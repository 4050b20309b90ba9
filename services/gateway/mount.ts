import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../shared/context.js';
import type { ArtifactRoute, Ecosystem, MetadataRoute, PassthroughRoute } from '../../shared/ecosystems/types.js';
import { badRequest } from '../../shared/http-error.js';
import { upstreamUrls } from '../../shared/upstream/urls.js';
import type { AccessRecorder } from './access-recorder.js';
import type { ArtifactCache, FillingArtifact } from './artifact-cache.js';
import { etagMatches, parseRange } from './conditional.js';
import type { MetadataCache } from './metadata-cache.js';
import { stateOf } from './request-state.js';

export const MAX_PATH_LENGTH = 4096;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const METADATA_MAX_AGE = 'public, max-age=60';
/** Request headers a pass-through forwards upstream (never credentials or cookies). */
const FORWARDED_HEADERS = ['accept', 'content-type', 'content-encoding', 'content-length', 'npm-command', 'npm-session'];
/** Response headers a pass-through copies back. */
const RETURNED_HEADERS = ['content-type', 'cache-control', 'etag', 'last-modified'];

export interface MountOptions {
  ctx: Context;
  module: Ecosystem;
  metadata: MetadataCache;
  artifacts: ArtifactCache;
  access: AccessRecorder;
}

/** Serves one ecosystem below /<name>/: the module classifies each request, this answers it. */
export async function mountEcosystem(app: FastifyInstance, options: MountOptions): Promise<void> {
  const { module } = options;
  const prefix = `/${module.name}/`;

  // Pass-through bodies (npm audit) are forwarded as they arrive, never parsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: `${prefix}*`,
    handler: async (request, reply) => {
      const state = stateOf(request);
      state.ecosystem = module.name;
      const rawUrl = request.raw.url ?? '';
      if (rawUrl.length > MAX_PATH_LENGTH) throw badRequest(`request path is longer than ${MAX_PATH_LENGTH} bytes`);
      const queryAt = rawUrl.indexOf('?');
      const path = (queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt)).slice(prefix.length);
      const query = queryAt < 0 ? '' : rawUrl.slice(queryAt);
      const route = module.route(path, { method: request.method, accept: request.headers.accept, query });
      state.kind = route.kind;
      switch (route.kind) {
        case 'metadata':
          return serveMetadata(options, route, request, reply);
        case 'artifact':
          return serveArtifact(options, route, request, reply);
        case 'passthrough':
          return passThrough(options, route, request, reply);
      }
    },
  });
}

function mountUrl(options: MountOptions, request: FastifyRequest): string {
  const base = options.ctx.config.base_url ?? `${request.protocol}://${request.host}/`;
  return `${base}${options.module.name}/`;
}

async function serveMetadata(options: MountOptions, route: MetadataRoute, request: FastifyRequest, reply: FastifyReply) {
  const { document, cache } = await options.metadata.get(options.module, route, mountUrl(options, request));
  stateOf(request).cache = cache;
  reply.header('etag', document.etag).header('vary', 'Accept, Accept-Encoding').header('cache-control', METADATA_MAX_AGE);
  if (etagMatches(request.headers['if-none-match'], document.etag)) return reply.code(304).send();
  reply.type(document.contentType);
  let body = document.body;
  if (body.length > 1024 && /\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
    body = await options.metadata.gzipped(document);
    reply.header('content-encoding', 'gzip');
  }
  if (request.method === 'HEAD') return reply.header('content-length', body.length).send();
  return reply.send(body);
}

async function serveArtifact(options: MountOptions, route: ArtifactRoute, request: FastifyRequest, reply: FastifyReply) {
  const { module, artifacts } = options;
  // A whole-body GET may be answered from a download still in progress.
  const artifact = await artifacts.get(module, route, request.method === 'GET' && request.headers.range === undefined);
  if ('filling' in artifact) return sendFilling(options, route, reply, artifact);
  stateOf(request).cache = artifact.cache;
  if (artifact.unread) reply.raw.once('close', () => artifact.unread!.destroy());
  const { etag } = artifact;
  reply
    .header('etag', etag)
    .header('accept-ranges', 'bytes')
    .header('cache-control', route.mutable ? METADATA_MAX_AGE : IMMUTABLE)
    .header('last-modified', artifact.lastModified)
    .type(module.artifactContentType(route.path));
  if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
  const redirect = await artifacts.redirectUrl(artifact);
  if (redirect) {
    options.access.record(module.name, route.path);
    return reply.code(302).header('location', redirect).header('cache-control', 'no-store').send();
  }

  const ifRange = request.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, artifact.size) : { kind: 'none' as const };
  if (range.kind === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${artifact.size}`).send();
  const byteRange = range.kind === 'range' ? { start: range.start, end: range.end } : undefined;
  const length = byteRange ? byteRange.end - byteRange.start + 1 : artifact.size;
  if (byteRange) reply.code(206).header('content-range', `bytes ${byteRange.start}-${byteRange.end}/${artifact.size}`);
  reply.header('content-length', length);
  if (request.method === 'HEAD') return reply.send();
  const body = await artifacts.body(module, route, artifact, byteRange);
  options.access.record(module.name, route.path);
  return reply.send(body);
}

/** Unverified bytes: no ETag or ranges, and a length only if upstream announced one. */
function sendFilling(options: MountOptions, route: ArtifactRoute, reply: FastifyReply, artifact: FillingArtifact) {
  stateOf(reply.request).cache = 'miss';
  reply.raw.once('close', () => artifact.body.destroy());
  reply.header('cache-control', IMMUTABLE).type(options.module.artifactContentType(route.path));
  if (artifact.expectedSize !== undefined) reply.header('content-length', artifact.expectedSize);
  options.access.record(options.module.name, route.path);
  return reply.send(artifact.body);
}

async function passThrough(options: MountOptions, route: PassthroughRoute, request: FastifyRequest, reply: FastifyReply) {
  const { ctx, module } = options;
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const hasBody = request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH';
  const response = await ctx.upstream.fetch(module.name, upstreamUrls(ctx.config, module.name, route.upstreamPath), {
    method: request.method,
    headers,
    ...(hasBody ? { body: request.raw } : {}),
  });
  reply.code(response.status);
  for (const name of RETURNED_HEADERS) {
    const value = response.headers[name];
    if (value !== undefined) reply.header(name, value);
  }
  return reply.send(response.body);
}
