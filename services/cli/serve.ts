import { loadConfig, type ConfigSources } from '../../shared/config/load.js';
import type { Config } from '../../shared/config/schema.js';
import { createContext } from '../../shared/context.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { startFetcher } from '../fetcher/worker.js';
import { buildOpsServer } from '../gateway/ops-routes.js';
import { buildGateway } from '../gateway/server.js';
import { startRefresher } from '../refresher/worker.js';

/**
 * Runs the configured role until SIGINT or SIGTERM: every role (the default), or one of
 * gateway, fetcher and refresher. A role that answers no clients still listens, for /health,
 * /ready and /metrics.
 */
export async function serve(sources: ConfigSources): Promise<number> {
  const result = loadConfig(sources);
  if (!result.ok) {
    process.stderr.write(`pkgproxy: invalid configuration:\n${result.problems.map((p) => `  ${p}\n`).join('')}`);
    return 2;
  }
  const { config } = result;
  const logger = createLogger(config.log_level);
  const ctx = await createContext(config, logger);
  const runs = (role: Config['role']) => config.role === 'all' || config.role === role;
  if (runs('fetcher')) startFetcher(ctx);
  const refresher = runs('refresher') ? startRefresher(ctx) : undefined;
  const app = runs('gateway') ? await buildGateway(ctx) : await buildOpsServer(ctx);
  const address = await app.listen({ host: config.listen.host, port: config.listen.port });
  const backends = Object.fromEntries(ctx.dependencies.map((d) => [d.name, d.backend]));
  logger.info({ address, role: config.role, backends, data_dir: config.data_dir, upstreams: config.upstreams }, `pkgproxy listening on ${address}`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  refresher?.stop();
  await app.close();
  await ctx.close();
  return 0;
}
