import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ConfigInput } from '../../shared/config/schema.js';
import { configSchema } from '../../shared/config/schema.js';
import { createContext, type Context } from '../../shared/context.js';
import { startFetcher } from '../../services/fetcher/worker.js';
import { buildGateway } from '../../services/gateway/server.js';

export interface RunningProxy {
  url: string;
  ctx: Context;
  dataDir: string;
  close(): Promise<void>;
}

/** An embedded proxy on a free loopback port with its own data directory. */
export async function startProxy(overrides: ConfigInput = {}): Promise<RunningProxy> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pkgproxy-test-'));
  const config = configSchema.parse({ data_dir: dataDir, listen: '127.0.0.1:0', log_level: 'silent', ...overrides });
  const ctx = await createContext(config, pino({ level: process.env.PROXY_TEST_LOG ?? 'silent' }));
  startFetcher(ctx);
  const app = await buildGateway(ctx);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `${address}/`,
    ctx,
    dataDir,
    async close() {
      await app.close();
      await ctx.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
