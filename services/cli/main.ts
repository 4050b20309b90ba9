#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { configCheck } from './config-check.js';
import { migrate } from './migrate.js';
import { serve } from './serve.js';
import { stats } from './stats.js';

const USAGE = `usage: pkgproxy <command> [options]

commands:
  serve              run the proxy (gateway, fetcher and refresher in one process,
                     or the one that --role names)
  migrate            bring the database schema to this version (serve does it on start too)
  config check       validate the configuration and print every problem with its path
  stats [--json]     what the cache holds: packages, versions, artifacts, bytes, hits

options (override PROXY_* environment variables and the config file):
  --config FILE      YAML configuration file (PROXY_CONFIG)
  --listen ADDR      address to listen on, e.g. 8080 or 127.0.0.1:8080 (PROXY_LISTEN)
  --base-url URL     public URL of the proxy, used in rewritten metadata (PROXY_BASE_URL)
  --data-dir DIR     where the embedded database and blobs live (PROXY_DATA_DIR)
  --log-level LEVEL  fatal, error, warn, info, debug, trace or silent (PROXY_LOG_LEVEL)
  --role ROLE        all, gateway, fetcher or refresher (PROXY_ROLE); one role needs PROXY_REDIS_URL
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      'base-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'log-level': { type: 'string' },
      role: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const sources = {
    file: values.config,
    flags: { listen: values.listen, 'base-url': values['base-url'], 'data-dir': values['data-dir'], 'log-level': values['log-level'], role: values.role },
  };
  const command = positionals.join(' ');
  if (values.help || command === 'help' || command === '') {
    process.stdout.write(USAGE);
    return command === '' && !values.help ? 2 : 0;
  }
  switch (command) {
    case 'serve':
      return serve(sources);
    case 'migrate':
      return migrate(sources);
    case 'config check':
      return configCheck(sources);
    case 'stats':
      return stats(sources, values.json ?? false);
    default:
      process.stderr.write(`pkgproxy: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pkgproxy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
