import { loadConfig, type ConfigSources } from '../../shared/config/load.js';
import { createContext } from '../../shared/context.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { startFetcher } from '../fetcher/worker.js';
import { buildGateway } from '../gateway/server.js';
import { startRefresher } from '../refresher/worker.js';

/** Runs every role in this process until SIGINT or SIGTERM. */
export async function serve(sources: ConfigSources): Promise<number> {
  const result = loadConfig(sources);
  if (!result.ok) {
    process.stderr.write(`pkgproxy: invalid configuration:\n${result.problems.map((p) => `  ${p}\n`).join('')}`);
    return 2;
  }
  const { config } = result;
  const logger = createLogger(config.log_level);
  const ctx = await createContext(config, logger);
  startFetcher(ctx);
  const refresher = startRefresher(ctx);
  const app = await buildGateway(ctx);
  const address = await app.listen({ host: config.listen.host, port: config.listen.port });
  logger.info({ address, data_dir: config.data_dir, upstreams: config.upstreams }, `pkgproxy listening on ${address}`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  refresher.stop();
  await app.close();
  await ctx.close();
  return 0;
}
