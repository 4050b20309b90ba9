import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';
import type { Lease, LockService } from './lock.js';
import { connectRedis } from './redis-connection.js';

/**
 * Takes a lock unless a live owner holds it. A holder whose heartbeat key has lapsed is dead
 * (killed, or cut off from Redis for longer than the stall timeout): its lock is taken over at
 * once instead of after the lock's own TTL, which is what lets another fetcher resume a killed
 * fetcher's download quickly.
 * KEYS[1] lock; ARGV: value ("<owner> <token>"), ttl ms, owner key prefix.
 */
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current then
  local owner = string.match(current, '^(%S+) ')
  if owner and redis.call('EXISTS', ARGV[3] .. owner) == 1 then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** KEYS[1] lock; ARGV: value, ttl ms. */
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** KEYS[1] lock; ARGV: value. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisLockOptions {
  prefix: string;
  /** How long this process counts as alive after its last heartbeat. */
  ownerTimeoutMs: number;
}

/**
 * Locks shared by every process on one Redis: a key per lock holding its owner and a token,
 * set only if free (or its owner is dead), extended and deleted only by the token's holder.
 * While Redis is unreachable, acquiring fails within seconds rather than waiting for it.
 */
export class RedisLockService implements LockService {
  private readonly redis: Redis;
  /** Owner names are readable in Redis: host, process and a per-start id. */
  private readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly ownerKey: string;
  private heartbeat: NodeJS.Timeout | undefined;
  private alive: Promise<unknown> | undefined;

  constructor(url: string, logger: Logger, private readonly options: RedisLockOptions) {
    // Commands wait for a connection being made, but fail after one reconnection attempt.
    this.redis = connectRedis(url, logger, { maxRetriesPerRequest: 1, commandTimeout: 5000 });
    this.ownerKey = `${options.prefix}:lock-owner:${this.owner}`;
  }

  async tryAcquire(key: string, ttlMs: number): Promise<Lease | undefined> {
    // The first lock needs a heartbeat in place, or another process would take it straight away;
    // processes that never lock (gateways) never beat.
    await (this.alive ??= this.beat().then(
      () => {
        this.heartbeat ??= setInterval(() => void this.beat().catch(() => {}), this.options.ownerTimeoutMs / 3);
        this.heartbeat.unref();
      },
      (err: unknown) => {
        this.alive = undefined;
        throw err;
      },
    ));
    const lockKey = `${this.options.prefix}:lock:${key}`;
    const value = `${this.owner} ${randomUUID()}`;
    const taken = await this.redis.eval(ACQUIRE, 1, lockKey, value, String(ttlMs), `${this.options.prefix}:lock-owner:`);
    if (taken !== 1) return undefined;
    return {
      extend: async (ms) => (await this.redis.eval(EXTEND, 1, lockKey, value, String(ms))) === 1,
      release: async () => {
        await this.redis.eval(RELEASE, 1, lockKey, value);
      },
    };
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.redis.del(this.ownerKey).catch(() => {});
    this.redis.disconnect();
  }

  private beat(): Promise<unknown> {
    return this.redis.set(this.ownerKey, '1', 'PX', this.options.ownerTimeoutMs);
  }
}
