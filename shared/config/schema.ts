import { z } from 'zod';
import { DEFAULT_UPSTREAMS, ECOSYSTEM_NAMES, packageUrl, parsePackageUrl, type EcosystemName } from '../ecosystems/names.js';
import { globToRegExp } from '../ecosystems/go/private.js';
import { parseStorageUrl } from '../storage/storage-url.js';
import { parseByteSize, parseDuration } from './units.js';

/**
 * The one schema for pkgproxy's configuration: the YAML file, PROXY_* environment variables
 * and command-line flags are all merged into an object that this schema validates.
 * Keys are snake_case; durations are written like "5m", "3d", "0"; sizes like "64MB".
 */

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)}: use a number with a unit (250ms, 90s, 5m, 12h, 3d, 2w) or 0` });
    return z.NEVER;
  }
  return ms;
});

const byteSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseByteSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid size ${JSON.stringify(value)}: use bytes or a unit (512KB, 64MB, 1GB)` });
    return z.NEVER;
  }
  return bytes;
});

const httpUrl = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `invalid URL ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `URL ${JSON.stringify(value)} must be http or https` });
    return z.NEVER;
  }
  // Upstream paths are joined onto the base, so it always ends with a slash.
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
});

/** One upstream URL or a list tried in order; a string may hold a comma-separated list. */
const upstreamList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (typeof value === 'string' ? value.split(',') : value).map((u) => u.trim()).filter(Boolean))
  .pipe(z.array(httpUrl).min(1, 'at least one upstream URL is needed'));

/** A service URL with one of the given schemes; the text is kept as written. */
const serviceUrl = (schemes: string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL like ${example}` },
  );

const storageUrl = z.string().superRefine((value, ctx) => {
  try {
    parseStorageUrl(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const ROLES = ['all', 'gateway', 'fetcher', 'refresher'] as const;

/** GOPRIVATE-style module path globs: a list, or one comma-separated string. */
const goPrivate = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (typeof value === 'string' ? value.split(',') : value).map((p) => p.trim()).filter(Boolean))
  .superRefine((patterns, ctx) => {
    for (const pattern of patterns) {
      try {
        globToRegExp(pattern);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }
  });

const listen = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = String(value);
  const match = /^(?:(\[[0-9a-f:]+\]|[^:]*):)?(\d{1,5})$/i.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `invalid listen address ${JSON.stringify(text)}: use "port", ":port" or "host:port"` });
    return z.NEVER;
  }
  const host = match[1] ? match[1].replace(/^\[|\]$/g, '') : '0.0.0.0';
  return { host, port };
});

const ecosystemName = z.enum(ECOSYSTEM_NAMES as [EcosystemName, ...EcosystemName[]]);

/**
 * Per-package settings keyed by package URL. Keys are stored in their canonical form
 * (packageUrl), so "pkg:npm/%40babel/core" and "pkg:npm/@babel/core" are one key, as are
 * "pkg:maven/org.acme/lib" and "pkg:maven/org.acme:lib".
 */
const byPackage = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value).transform((record, ctx) => {
    const out: Record<string, z.output<T>> = {};
    for (const [key, setting] of Object.entries(record)) {
      const parsed = parsePackageUrl(key);
      if (!parsed) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `invalid package key ${JSON.stringify(key)}: use a package URL, e.g. pkg:npm/@babel/core, pkg:pypi/requests, pkg:maven/org.acme/lib, pkg:golang/github.com/acme/lib (ecosystems: ${ECOSYSTEM_NAMES.join(', ')})`,
        });
        continue;
      }
      out[packageUrl(parsed.ecosystem, parsed.pkg)] = setting as z.output<T>;
    }
    return out;
  });

const upstreamDefaults = Object.fromEntries(
  ECOSYSTEM_NAMES.map((name) => [name, upstreamList.default([DEFAULT_UPSTREAMS[name]])]),
) as { [K in EcosystemName]: z.ZodDefault<typeof upstreamList> };

export const configSchema = z
  .object({
    /** Address the HTTP server binds. */
    listen: listen.default({ host: '0.0.0.0', port: 8080 }),
    /** Public URL of the proxy, used in rewritten metadata; derived from each request when unset. */
    base_url: httpUrl.optional(),
    /** Where the embedded database and blobs live. */
    data_dir: z.string().min(1).default('./data'),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    upstreams: z.object(upstreamDefaults).strict().prefault({}),
    /** How long fetched metadata is served without asking upstream again. */
    metadata_ttl: duration.default(5 * 60_000),
    /** How long an upstream 404 is remembered. */
    negative_ttl: duration.default(60_000),
    /** Time allowed for an upstream to send response headers, and between body chunks. */
    upstream_timeout: duration.default(30_000),
    /** How long a client request waits on a fetch before it is answered 504. */
    fetch_wait: duration.default(120_000),
    /** Largest metadata document accepted from an upstream. */
    max_metadata_size: byteSize.default(64 * 1024 ** 2),
    /** Memory for rendered metadata and small artifact bodies kept hot in the gateway. */
    hot_cache_size: byteSize.default(128 * 1024 ** 2),
    fetcher: z
      .object({
        /** Downloads run at once by one fetcher process. */
        concurrency: z.number().int().min(1).max(1024).default(16),
      })
      .strict()
      .prefault({}),
    go: z
      .object({
        /** Module path patterns (GOPRIVATE syntax) answered 404, so that clients fetch those modules directly. */
        private: goPrivate.default([]),
      })
      .strict()
      .prefault({}),
    /**
     * What this process runs: every role (the default), or one of them. Separate roles meet
     * through the job queue, so they need redis_url.
     */
    role: z.enum(ROLES).default('all'),
    /** PostgreSQL shared by every process; unset: SQLite under data_dir. */
    database_url: serviceUrl(['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/pkgproxy').optional(),
    /** S3 or an S3-compatible store for blobs; unset: files under data_dir. */
    storage_url: storageUrl.optional(),
    /**
     * Artifacts larger than this are answered with a redirect to a short-lived presigned URL of
     * the S3 object, so that the gateway does not carry their bytes; unset: never.
     */
    storage_redirect_over: byteSize.optional(),
    /** Redis for the job queue and locks; unset: an in-process queue. */
    redis_url: serviceUrl(['redis:', 'rediss:'], 'redis://host:6379').optional(),
    /** Namespace of every Redis key, so that deployments can share a Redis. */
    redis_prefix: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, "_", "." or "-"').default('pkgproxy'),
    /**
     * A worker that stops answering (killed, frozen, cut off) loses its running jobs and
     * download locks to another worker after this long (cluster only).
     */
    stall_timeout: duration.refine((ms) => ms >= 1000, 'must be at least 1s').default(30_000),
    cooldown: z
      .object({
        /** Versions younger than this are hidden and refused, unless a more specific rule applies. */
        default: duration.default(0),
        /** Per-ecosystem cooldown, e.g. { npm: 3d }. */
        ecosystems: z.partialRecord(ecosystemName, duration).default({}),
        /** Per-package cooldown keyed by package URL, e.g. { "pkg:npm/lodash": 0 }. */
        packages: byPackage(duration).default({}),
        /**
         * Versions whose publish time nobody knows (upstream gave none and they were there when
         * the package was first cached): allow them, or hide them like fresh ones.
         */
        unknown_publish_time: z.enum(['allow', 'deny']).default('allow'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.role !== 'all' && config.redis_url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['role'], message: `role "${config.role}" needs redis_url (PROXY_REDIS_URL): separate roles share their jobs through Redis` });
    }
  });

/** Configuration as written (before defaults and unit parsing). */
export type ConfigInput = z.input<typeof configSchema>;
/** Configuration as the program uses it: defaults filled, durations in ms, sizes in bytes. */
export type Config = z.output<typeof configSchema>;
export type CooldownConfig = Config['cooldown'];
