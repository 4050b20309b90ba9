import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Context } from '../../shared/context.js';
import { isEcosystemName, type EcosystemName } from '../../shared/ecosystems/names.js';
import type { Ecosystem } from '../../shared/ecosystems/types.js';
import { HttpError } from '../../shared/http-error.js';
import { AccessRecorder } from './access-recorder.js';
import { ArtifactCache } from './artifact-cache.js';
import { MetadataCache } from './metadata-cache.js';
import { MAX_PATH_LENGTH, mountEcosystem } from './mount.js';
import { opsRoutes } from './ops-routes.js';
import { stateOf } from './request-state.js';

/** The gateway role: an HTTP server answering every ecosystem's clients, plus /health, /ready and /metrics. */
export async function buildGateway(ctx: Context) {
  const app = Fastify({
    loggerInstance: ctx.logger,
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: MAX_PATH_LENGTH },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors: (error, request, reply) => {
      // Malformed URLs and the like, before any route ran.
      void sendError(ctx.ecosystems, request, reply, new HttpError(400, error.message));
    },
  });
  app.decorateRequest('state', null);

  const access = new AccessRecorder(ctx);
  const shared = { ctx, metadata: new MetadataCache(ctx), artifacts: new ArtifactCache(ctx), access };
  app.addHook('onClose', () => access.close());

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (!(error instanceof HttpError)) {
      if (typeof error.statusCode === 'number' && error.statusCode < 500) return sendError(ctx.ecosystems, request, reply, new HttpError(error.statusCode, error.message));
      request.log.error({ err: error, url: request.url }, 'request failed');
      return sendError(ctx.ecosystems, request, reply, new HttpError(500, 'internal error; the proxy log has the details'));
    }
    return sendError(ctx.ecosystems, request, reply, error);
  });
  const mounts = Object.keys(ctx.ecosystems).map((name) => `/${name}/`).join(', ');
  app.setNotFoundHandler((request, reply) =>
    sendError(ctx.ecosystems, request, reply, new HttpError(404, `no such path: ${request.url.slice(0, 200)} (mounts: ${mounts})`)),
  );

  app.addHook('onResponse', (request, reply, done) => {
    const state = stateOf(request);
    const status = reply.statusCode;
    const counted = state.cache && status < 400 && state.kind !== 'passthrough';
    const sent = request.method !== 'HEAD' && status < 300 ? Number(reply.getHeader('content-length') ?? 0) : 0;
    ctx.metrics.served.add(state.ecosystem, state.kind, status, counted ? (state.cache === 'miss' ? 'miss' : 'hit') : undefined, sent);
    request.log.info(
      { method: request.method, url: request.url, status, ms: Math.round(reply.elapsedTime * 10) / 10, ecosystem: state.ecosystem, kind: state.kind, cache: state.cache },
      'request',
    );
    done();
  });

  await app.register(opsRoutes, { ctx });
  for (const module of Object.values(ctx.ecosystems)) await app.register(mountEcosystem, { ...shared, module });
  return app;
}

function sendError(ecosystems: Record<EcosystemName, Ecosystem>, request: FastifyRequest, reply: FastifyReply, error: HttpError): FastifyReply {
  const mount = request.url.split('/')[1] ?? '';
  const oneLine = error.message.replace(/\s*\n\s*/g, ' ');
  const { contentType, body, statusMessage } = isEcosystemName(mount)
    ? ecosystems[mount].errorBody(error.status, oneLine)
    : { contentType: 'text/plain; charset=utf-8', body: `${oneLine}\n` };
  reply.code(error.status).headers(error.headers).header('cache-control', 'no-store').type(contentType);
  // A reason phrase may hold only visible ASCII, spaces and tabs.
  if (statusMessage) reply.raw.statusMessage = statusMessage.replace(/[^\t\x20-\x7e]/g, '?');
  return reply.send(request.method === 'HEAD' ? undefined : body);
}
