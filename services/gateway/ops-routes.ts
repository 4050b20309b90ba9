import Fastify, { LogController, type FastifyPluginAsync } from 'fastify';
import type { Context, Dependency } from '../../shared/context.js';

/** A dependency that does not answer within this long counts as down. */
const CHECK_TIMEOUT_MS = 3000;

interface DependencyReport {
  backend: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * What orchestrators and Prometheus ask of every role: /health (the process answers),
 * /ready (each service it depends on answers; 503 when one does not) and /metrics.
 */
export const opsRoutes: FastifyPluginAsync<{ ctx: Context }> = async (app, { ctx }) => {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    const checked = await Promise.all(ctx.dependencies.map(async (dependency) => [dependency.name, await check(dependency)] as const));
    const ready = checked.every(([, report]) => report.ok);
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ready ? 'ready' : 'unavailable', role: ctx.config.role, dependencies: Object.fromEntries(checked) });
  });
  app.get('/metrics', async (_request, reply) => reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()));
};

/** The HTTP server of a role that answers no clients (fetcher, refresher): the ops routes alone. */
export async function buildOpsServer(ctx: Context) {
  const app = Fastify({ loggerInstance: ctx.logger, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: 'idle' });
  await app.register(opsRoutes, { ctx });
  return app;
}

async function check(dependency: Dependency): Promise<DependencyReport> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      dependency.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000}s`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { backend: dependency.backend, ok: true, ms: elapsed(started) };
  } catch (err) {
    return { backend: dependency.backend, ok: false, ms: elapsed(started), error: (err as Error).message || String(err) };
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;
