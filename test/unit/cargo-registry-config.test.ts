import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadUrl, parseRegistryConfig, renderRegistryConfig } from '../../shared/ecosystems/cargo/registry-config.js';

const config = readFileSync(join(import.meta.dirname, '../fixtures/cargo/config.json'));
const cksum = '9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e';

describe('Cargo registry config.json', () => {
  it("reads crates.io's dl and api", () => {
    expect(parseRegistryConfig(config)).toEqual({ dl: 'https://static.crates.io/crates', api: 'https://crates.io' });
    expect(parseRegistryConfig(Buffer.from('{"dl":"https://example.test/dl"}'))).toEqual({ dl: 'https://example.test/dl' });
  });

  it('refuses a config.json that does not describe a registry', () => {
    expect(() => parseRegistryConfig(Buffer.from('<html>'))).toThrow(/^config.json is not JSON/);
    expect(() => parseRegistryConfig(Buffer.from('[]'))).toThrow('config.json is not a JSON object');
    expect(() => parseRegistryConfig(Buffer.from('{"api":"https://crates.io"}'))).toThrow('config.json has no http(s) "dl" URL');
    expect(() => parseRegistryConfig(Buffer.from('{"dl":"file:///etc/passwd"}'))).toThrow('config.json has no http(s) "dl" URL');
    expect(() => parseRegistryConfig(Buffer.from('{"dl":"https://x.test/dl","api":42}'))).toThrow(/"api" that is not an http\(s\) URL/);
  });

  it('renders dl and api pointing at the mount, and nothing of the upstream', () => {
    const rendered = renderRegistryConfig('http://proxy.test:8080/cargo/');
    expect(rendered.contentType).toBe('application/json');
    expect(JSON.parse(rendered.body.toString())).toEqual({ dl: 'http://proxy.test:8080/cargo/api/v1/crates', api: 'http://proxy.test:8080/cargo' });
  });

  it('expands dl as Cargo does: /{crate}/{version}/download appended when it has no marker', () => {
    expect(downloadUrl('https://static.crates.io/crates', { name: 'serde', version: '1.0.228', cksum })).toBe('https://static.crates.io/crates/serde/1.0.228/download');
    expect(downloadUrl('https://x.test/api/v1/crates', { name: 'Inflector', version: '0.11.4', cksum })).toBe('https://x.test/api/v1/crates/Inflector/0.11.4/download');
  });

  it('fills every marker, with the prefix of the name as published', () => {
    const dl = 'https://x.test/{prefix}/{lowerprefix}/{crate}/{crate}-{version}.crate?sha={sha256-checksum}';
    expect(downloadUrl(dl, { name: 'Inflector', version: '0.11.4', cksum })).toBe(`https://x.test/In/fl/in/fl/Inflector/Inflector-0.11.4.crate?sha=${cksum}`);
    expect(downloadUrl(dl, { name: 'a', version: '1.0.0', cksum })).toBe(`https://x.test/1/1/a/a-1.0.0.crate?sha=${cksum}`);
    expect(downloadUrl(dl, { name: 'cc', version: '1.0.0', cksum })).toBe(`https://x.test/2/2/cc/cc-1.0.0.crate?sha=${cksum}`);
    expect(downloadUrl(dl, { name: 'Syn', version: '2.0.0', cksum })).toBe(`https://x.test/3/S/3/s/Syn/Syn-2.0.0.crate?sha=${cksum}`);
    expect(downloadUrl('https://x.test/files/{sha256-checksum}', { name: 'a', version: '1.0.0', cksum })).toBe(`https://x.test/files/${cksum}`);
  });
});
