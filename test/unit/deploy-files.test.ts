import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, loadConfig } from '../../shared/config/load.js';

const root = join(import.meta.dirname, '../..');
const KNOWN_ENV = new Set([...ENV_VARIABLES.map(([name]) => name), 'PROXY_CONFIG']);

/** The shipped deployment files must agree with the configuration schema. */
describe('deployment files', () => {
  it('the example configuration is valid', () => {
    const result = loadConfig({ file: join(root, 'deploy/pkgproxy.example.yaml'), env: {} });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('docker-compose.yml sets only variables the configuration knows, with valid values', () => {
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, string>; command?: string[] }> };
    for (const [name, service] of Object.entries(compose.services)) {
      const env = service.environment ?? {};
      for (const variable of Object.keys(env).filter((v) => v.startsWith('PROXY_'))) expect(KNOWN_ENV, `${name}: ${variable}`).toContain(variable);
      const result = loadConfig({ env });
      expect(result.ok ? [] : result.problems, name).toEqual([]);
      expect(service.command?.[0], name).toBe('serve');
    }
  });

  it('every environment variable in the README exists', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const mentioned = new Set(readme.match(/PROXY_[A-Z_]+/g));
    for (const variable of mentioned) {
      if (variable === 'PROXY_LIVE_TESTS') continue;
      expect(KNOWN_ENV, variable).toContain(variable);
    }
    for (const variable of KNOWN_ENV) expect(mentioned, variable).toContain(variable);
  });
});
