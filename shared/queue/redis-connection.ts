import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';

/**
 * A Redis connection that reconnects forever and logs its failures once per outage, not once
 * per retry.
 */
export function connectRedis(url: string, logger: Logger, options: RedisOptions): Redis {
  const redis = new Redis(url, { connectionName: 'pkgproxy', ...options });
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: err.message }, 'Redis unreachable; reconnecting');
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis reachable again');
    down = false;
  });
  return redis;
}

/** Where a Redis URL points, without its password, for messages. */
export function redisHost(url: string): string {
  const { host } = new URL(url);
  return host;
}
