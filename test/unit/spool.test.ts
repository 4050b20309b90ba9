import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../shared/storage/fs-blob-store.js';
import { Spools } from '../../shared/storage/spool.js';

const openFds = () => readdirSync('/proc/self/fd').length;
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Collects a stream's chunks as they come, and how it ended. */
function collect(stream: Readable) {
  const chunks: Buffer[] = [];
  const ended = new Promise<Buffer>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
  ended.catch(() => {});
  return { received: () => Buffer.concat(chunks), ended };
}

describe('spools of downloads in progress', () => {
  let root: string;
  let store: FsBlobStore;
  let spools: Spools;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'spool-'));
    store = new FsBlobStore(root);
    spools = new Spools();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is published once declared and staged, and a reader follows the bytes, holding the last back until verified', async () => {
    const spool = spools.create('npm/a.tgz');
    spool.expectedSize = 10;
    const source = new PassThrough();
    const staging = store.stage(source, spool);
    const found = spools.await('npm/a.tgz', new Promise(() => {}));
    source.write(Buffer.from('01234'));
    await tick();
    spool.declared();
    const reader = await found;
    expect(reader).toBe(spool);
    const body = collect(reader!.read());
    source.end(Buffer.from('56789'));
    const staged = await staging;
    await tick();
    expect(body.received().toString()).toBe('012345678');
    spool.verified(staged.sha256, staged.size);
    expect((await body.ended).toString()).toBe('0123456789');
    await staged.commit();
    spool.withdraw();
  });

  it('answers undefined when the download ends before it is published', async () => {
    let finish!: () => void;
    const until = new Promise<void>((resolve) => (finish = resolve));
    const found = spools.await('npm/b.tgz', until);
    finish();
    expect(await found).toBeUndefined();
    const spool = spools.create('npm/b.tgz');
    spool.declared();
    expect(await spools.await('npm/b.tgz', until)).toBeUndefined();
  });

  it('destroys its readers when the download fails, and closes its file after the last reader', async () => {
    const before = openFds();
    const spool = spools.create('npm/c.tgz');
    const source = new PassThrough();
    const staging = store.stage(source, spool);
    source.write(Buffer.from('partial'));
    spool.declared();
    const reader = (await spools.await('npm/c.tgz', new Promise(() => {})))!;
    const body = collect(reader.read());
    await tick();
    expect(body.received().toString()).toBe('partial');
    source.destroy(new Error('connection reset'));
    await expect(staging).rejects.toThrow('connection reset');
    spool.failed(new Error('connection reset'));
    await expect(body.ended).rejects.toThrow('connection reset');
    spool.withdraw();
    await tick();
    expect(openFds()).toBe(before);
    expect(await spools.await('npm/c.tgz', Promise.resolve())).toBeUndefined();
  });

  it('reports verified, failed, or filling once the wait is over', async () => {
    const spool = spools.create('npm/d.tgz');
    expect(await spool.progress(30)).toBe('filling');
    const waiting = spool.progress(10_000);
    spool.verified('0'.repeat(64), 0);
    expect(await waiting).toBe('verified');
    spool.withdraw();
  });
});
