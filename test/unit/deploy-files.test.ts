import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, loadConfig, loadConfigOrThrow } from '../../shared/config/load.js';
import { ROLES } from '../../shared/config/schema.js';
import { parseStorageUrl } from '../../shared/storage/storage-url.js';

const root = join(import.meta.dirname, '../..');
const KNOWN_ENV = new Set([...ENV_VARIABLES.map(([name]) => name), 'PROXY_CONFIG']);

interface ComposeService {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  volumes?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The shipped deployment files must agree with the configuration schema. */
describe('deployment files', () => {
  it('the example configuration is valid', () => {
    const result = loadConfig({ file: join(root, 'deploy/pkgproxy.example.yaml'), env: {} });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  describe('docker-compose.yml: the whole cluster', () => {
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
    const services = Object.entries(compose.services);
    /** The services that run the pkgproxy image: `migrate` and one per role. */
    const pkgproxy = services.filter(([, service]) => service.build === '.');
    const roleOf = (service: ComposeService) => (service.command?.[0] === 'serve' ? service.command[2] : undefined);
    const named = (role: string) => pkgproxy.filter(([, service]) => roleOf(service) === role).map(([name]) => name);

    it('runs migrate once, two gateways, a fetcher and a refresher, each a valid serve command', () => {
      expect(pkgproxy.filter(([, service]) => service.command?.join(' ') === 'migrate').map(([name]) => name)).toEqual(['migrate']);
      expect(named('gateway')).toHaveLength(2);
      expect(named('fetcher')).toHaveLength(1);
      expect(named('refresher')).toHaveLength(1);
      for (const [name, service] of pkgproxy) {
        if (service.command?.[0] !== 'serve') continue;
        expect(service.command.slice(0, 2), name).toEqual(['serve', '--role']);
        expect(ROLES, name).toContain(service.command[2]);
        expect(service.command, name).toHaveLength(3);
        // Every role starts only once the schema is migrated and the bucket exists.
        expect(service.depends_on, name).toMatchObject({ migrate: { condition: 'service_completed_successfully' }, bucket: { condition: 'service_completed_successfully' } });
      }
    });

    it('sets only variables the configuration knows, with values it accepts for each role', () => {
      for (const [name, service] of pkgproxy) {
        const env = service.environment ?? {};
        for (const variable of Object.keys(env).filter((v) => v.startsWith('PROXY_'))) expect(KNOWN_ENV, `${name}: ${variable}`).toContain(variable);
        const result = loadConfig({ env, flags: { role: roleOf(service) } });
        expect(result.ok ? [] : result.problems, name).toEqual([]);
      }
    });

    it('points every pkgproxy process at the services the file runs, with their credentials', () => {
      const env = pkgproxy[0]![1].environment!;
      const config = loadConfigOrThrow({ env });
      const database = new URL(config.database_url!);
      const postgres = compose.services[database.hostname]!.environment!;
      expect([database.port, database.username, database.password, database.pathname]).toEqual(['5432', postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD, `/${postgres.POSTGRES_DB}`]);
      expect(compose.services[new URL(config.redis_url!).hostname]?.image).toMatch(/^redis:/);
      const storage = parseStorageUrl(config.storage_url!);
      const minio = new URL(storage.endpoint!);
      expect(compose.services[minio.hostname]?.command).toEqual(['server', '/data']);
      expect([env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY]).toEqual([compose.services[minio.hostname]!.environment!.MINIO_ROOT_USER, compose.services[minio.hostname]!.environment!.MINIO_ROOT_PASSWORD]);
      const bucketScript = compose.services.bucket!.command!.join(' ');
      expect(bucketScript).toContain(`mc alias set local ${storage.endpoint} ${env.AWS_ACCESS_KEY_ID} ${env.AWS_SECRET_ACCESS_KEY}`);
      expect(bucketScript).toContain(`mc mb --ignore-existing local/${storage.bucket}`);
      for (const [name, service] of pkgproxy) expect(service.environment, name).toEqual(env);
    });

    it('puts the gateways behind the load balancer on the port the base URL names', () => {
      const config = loadConfigOrThrow({ env: pkgproxy[0]![1].environment! });
      const nginx = readFileSync(join(root, 'deploy/nginx.conf'), 'utf8');
      const upstreams = [...nginx.matchAll(/^\s*server ([\w-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
      expect(upstreams).toEqual(named('gateway').map((name) => `${name}:${config.listen.port}`));
      const listen = /^\s*listen (\d+);/m.exec(nginx)![1];
      const lb = compose.services.lb!;
      expect(lb.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
      const publicPort = new URL(config.base_url!).port;
      expect(lb.ports).toEqual([`${publicPort}:${listen}`]);
      // The README's client setup works against it.
      expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(`npm config set registry ${config.base_url}npm/`);
    });

    it('declares every named volume it mounts, and mounts files that exist', () => {
      for (const [name, service] of services) {
        for (const volume of service.volumes ?? []) {
          const source = volume.split(':')[0]!;
          if (source.startsWith('./')) expect(existsSync(join(root, source)), `${name}: ${source}`).toBe(true);
          else expect(Object.keys(compose.volumes ?? {}), `${name}: ${source}`).toContain(source);
        }
      }
    });
  });

  it('every environment variable in the README exists', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const mentioned = new Set(readme.match(/PROXY_[A-Z_]+/g));
    for (const variable of mentioned) {
      // Test settings, not the proxy's.
      if (variable === 'PROXY_LIVE_TESTS' || variable.startsWith('PROXY_TEST_')) continue;
      expect(KNOWN_ENV, variable).toContain(variable);
    }
    for (const variable of KNOWN_ENV) expect(mentioned, variable).toContain(variable);
  });

  it('the Helm chart sets only known variables, with values the configuration accepts, and real commands', () => {
    const chart = join(root, 'helm/pkgproxy');
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as { baseUrl: string; databaseUrl: string; storageUrl: string; redisUrl: string; env: Record<string, string> };
    const templates = ['_helpers.tpl', 'gateway.yaml', 'fetcher.yaml', 'refresher.yaml', 'migrate-job.yaml'].map((f) => readFileSync(join(chart, 'templates', f), 'utf8'));
    for (const variable of templates.join('\n').match(/PROXY_[A-Z_]+/g) ?? []) expect(KNOWN_ENV, variable).toContain(variable);
    for (const variable of Object.keys(values.env)) expect(KNOWN_ENV, variable).toContain(variable);
    const env = { PROXY_LISTEN: '0.0.0.0:8080', PROXY_BASE_URL: values.baseUrl, PROXY_DATABASE_URL: values.databaseUrl, PROXY_STORAGE_URL: values.storageUrl, PROXY_REDIS_URL: values.redisUrl, ...values.env };
    const result = loadConfig({ env });
    expect(result.ok ? [] : result.problems).toEqual([]);
    for (const role of ['gateway', 'fetcher', 'refresher']) {
      const template = readFileSync(join(chart, 'templates', `${role}.yaml`), 'utf8');
      expect(template).toContain(`args: ["serve", "--role", "${role}"]`);
      expect(ROLES).toContain(role);
    }
    expect(readFileSync(join(chart, 'templates', 'migrate-job.yaml'), 'utf8')).toContain('args: ["migrate"]');
  });
});
