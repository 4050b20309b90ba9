import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestS3, type TestS3 } from '../helpers/cluster-services.js';
import { DAY, FakeNpmRegistry } from '../helpers/fake-npm-registry.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';

describe('artifacts over storage_redirect_over on S3', () => {
  const upstream = new FakeNpmRegistry();
  let s3: TestS3;
  let proxy: RunningProxy;
  const saved = { ...process.env };

  beforeAll(async () => {
    s3 = await createTestS3();
    Object.assign(process.env, s3.env); // the SDK reads credentials from the standard chain
    await upstream.start();
    await upstream.publish({ name: 'large', versions: [{ version: '1.0.0', age: 30 * DAY, payloadBytes: 256 * 1024 }] });
    await upstream.publish({ name: 'small', versions: [{ version: '1.0.0', age: 30 * DAY }] });
    proxy = await startProxy({ upstreams: { npm: upstream.url }, storage_url: s3.storageUrl, storage_redirect_over: '64KB' });
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream.stop();
    await s3?.close();
    process.env = saved;
  });

  it('redirects to a presigned URL that serves the exact bytes', async () => {
    const url = `${proxy.url}npm/large/-/large-1.0.0.tgz`;
    const first = await fetch(url, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const location = first.headers.get('location')!;
    expect(location.startsWith(s3.endpoint)).toBe(true);
    const bytes = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(bytes.equals(upstream.tarballBytes('large', '1.0.0'))).toBe(true);
    expect(upstream.count(/large-1\.0\.0\.tgz/)).toBe(1);
  });

  it('serves smaller artifacts itself', async () => {
    const response = await fetch(`${proxy.url}npm/small/-/small-1.0.0.tgz`, { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(upstream.tarballBytes('small', '1.0.0'))).toBe(true);
  });
});
