import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput, type CooldownConfig } from '../../shared/config/schema.js';
import type { PublishTimeSource, VersionRow } from '../../shared/db/schema.js';
import { npm } from '../../shared/ecosystems/npm/index.js';
import { packumentRoute } from '../../shared/ecosystems/npm/routes.js';
import { cooldownFor, judgeVersion, type CooldownRule } from '../../shared/policy/cooldown.js';
import { Policy } from '../../shared/policy/policy.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function cooldown(input: ConfigInput['cooldown']): CooldownConfig {
  return configSchema.parse({ cooldown: input }).cooldown;
}

function row(version: string, published: string | null, source: PublishTimeSource = published === null ? 'unknown' : 'upstream'): VersionRow {
  const publishedAt = published === null ? null : Date.parse(published);
  return {
    ecosystem: 'npm',
    package: 'react',
    version,
    published_at: publishedAt,
    publish_time_source: source,
    first_seen_at: publishedAt ?? Date.parse('2026-01-01T00:00:00.000Z'),
    yanked: 0,
  };
}

/** The versions of a fixture as the versions table holds them after a first fetch. */
function fixtureRows(file: string, name: string): VersionRow[] {
  const parsed = npm.parse(packumentRoute(name, 'full'), readFileSync(new URL(`../fixtures/npm/${file}`, import.meta.url)));
  return parsed.versions.map((v) => ({
    ecosystem: 'npm',
    package: name,
    version: v.version,
    published_at: v.publishedAt,
    publish_time_source: v.publishedAt === null ? 'unknown' : 'upstream',
    first_seen_at: 0,
    yanked: 0,
  }));
}

const THREE_DAYS_NPM: CooldownRule = { durationMs: 3 * DAY, source: 'cooldown.ecosystems.npm' };

describe('cooldownFor', () => {
  const config = cooldown({
    default: '1d',
    ecosystems: { npm: '3d' },
    packages: { 'pkg:npm/react': '7d', 'pkg:npm/@parcel/watcher': 0, 'pkg:npm/%40types/node': '12h' },
  });

  it('prefers the package rule', () => {
    expect(cooldownFor(config, 'npm', 'react')).toEqual({ durationMs: 7 * DAY, source: 'cooldown.packages["pkg:npm/react"]' });
  });

  it('takes a package rule of 0 rather than falling through', () => {
    expect(cooldownFor(config, 'npm', '@parcel/watcher')).toEqual({ durationMs: 0, source: 'cooldown.packages["pkg:npm/@parcel/watcher"]' });
  });

  it('matches a package key written with an encoded @', () => {
    expect(cooldownFor(config, 'npm', '@types/node')).toEqual({ durationMs: 12 * HOUR, source: 'cooldown.packages["pkg:npm/@types/node"]' });
  });

  it('falls back to the ecosystem rule', () => {
    expect(cooldownFor(config, 'npm', 'react-dom')).toEqual({ durationMs: 3 * DAY, source: 'cooldown.ecosystems.npm' });
    // Names are matched exactly.
    expect(cooldownFor(config, 'npm', 'React').source).toBe('cooldown.ecosystems.npm');
    expect(cooldownFor(config, 'npm', '@parcel/watcher-wasm').source).toBe('cooldown.ecosystems.npm');
  });

  it('falls back to the default', () => {
    expect(cooldownFor(cooldown({ default: '2w', packages: { 'pkg:npm/react': '1h' } }), 'npm', 'lodash')).toEqual({
      durationMs: 14 * DAY,
      source: 'cooldown.default',
    });
    expect(cooldownFor(config, 'pypi', 'react')).toEqual({ durationMs: DAY, source: 'cooldown.default' });
  });

  it('defaults to no cooldown', () => {
    expect(cooldownFor(cooldown(undefined), 'npm', 'react')).toEqual({ durationMs: 0, source: 'cooldown.default' });
  });
});

describe('judgeVersion', () => {
  const published = '2026-10-27T16:05:38.913Z';
  const publishedAt = Date.parse(published);
  const availableAt = publishedAt + 3 * DAY;

  it('hides a version inside its cooldown, saying why and until when', () => {
    const verdict = judgeVersion('react', row('19.3.0-canary-dc9aed36-20261027', published), THREE_DAYS_NPM, 'allow', publishedAt + DAY);
    expect(verdict).toEqual({
      visible: false,
      rule: 'cooldown.ecosystems.npm',
      reason:
        'react@19.3.0-canary-dc9aed36-20261027 was published at 2026-10-27T16:05:38.913Z, inside the 3d cooldown ' +
        'set by cooldown.ecosystems.npm; it becomes available at 2026-10-30T16:05:38.913Z',
      availableAt,
    });
  });

  it('shows a version from the moment its cooldown ends', () => {
    const version = row('19.3.1', published);
    expect(judgeVersion('react', version, THREE_DAYS_NPM, 'allow', availableAt - 1)).toMatchObject({ visible: false, availableAt });
    expect(judgeVersion('react', version, THREE_DAYS_NPM, 'allow', availableAt)).toEqual({ visible: true });
    expect(judgeVersion('react', version, THREE_DAYS_NPM, 'deny', availableAt + 365 * DAY)).toEqual({ visible: true });
  });

  it('hides a version published in the future', () => {
    expect(judgeVersion('react', row('19.4.0', published), THREE_DAYS_NPM, 'allow', publishedAt - DAY).visible).toBe(false);
  });

  it('says when the time is when the proxy first saw the version', () => {
    const verdict = judgeVersion('react', row('19.3.1', published, 'first_seen'), THREE_DAYS_NPM, 'allow', publishedAt);
    expect(verdict.visible).toBe(false);
    if (verdict.visible) return;
    expect(verdict.reason).toBe(
      'react@19.3.1 was first seen by this proxy at 2026-10-27T16:05:38.913Z, inside the 3d cooldown ' +
        'set by cooldown.ecosystems.npm; it becomes available at 2026-10-30T16:05:38.913Z',
    );
  });

  it('names the duration and the setting of the rule that applies', () => {
    const rule: CooldownRule = { durationMs: 36 * HOUR, source: 'cooldown.packages["pkg:npm/@parcel/watcher"]' };
    const verdict = judgeVersion('@parcel/watcher', row('2.6.0', published), rule, 'allow', publishedAt + HOUR);
    expect(verdict).toMatchObject({ visible: false, rule: 'cooldown.packages["pkg:npm/@parcel/watcher"]', availableAt: publishedAt + 36 * HOUR });
    if (verdict.visible) return;
    expect(verdict.reason).toContain('@parcel/watcher@2.6.0 was published at 2026-10-27T16:05:38.913Z');
    expect(verdict.reason).toContain('inside the 36h cooldown set by cooldown.packages["pkg:npm/@parcel/watcher"]');
    expect(verdict.reason).toContain('it becomes available at 2026-10-29T04:05:38.913Z');
  });

  it('shows a version of unknown age when unknown_publish_time is allow', () => {
    expect(judgeVersion('react', row('18.2.0', null), THREE_DAYS_NPM, 'allow', publishedAt)).toEqual({ visible: true });
  });

  it('hides a version of unknown age for good when unknown_publish_time is deny', () => {
    expect(judgeVersion('react', row('18.2.0', null), THREE_DAYS_NPM, 'deny', publishedAt)).toEqual({
      visible: false,
      rule: 'cooldown.unknown_publish_time',
      reason: 'react@18.2.0 has no known publish time, and cooldown.unknown_publish_time is deny',
      availableAt: null,
    });
  });

  it('shows everything under a cooldown of 0, even versions of unknown age', () => {
    const none: CooldownRule = { durationMs: 0, source: 'cooldown.default' };
    expect(judgeVersion('react', row('19.3.1', published), none, 'deny', publishedAt - DAY)).toEqual({ visible: true });
    expect(judgeVersion('react', row('18.2.0', null), none, 'deny', publishedAt)).toEqual({ visible: true });
  });

  it('writes the reason on one line', () => {
    const verdict = judgeVersion('react', row('19.3.1', published), THREE_DAYS_NPM, 'allow', publishedAt);
    expect(verdict.visible).toBe(false);
    if (!verdict.visible) expect(verdict.reason).not.toMatch(/\n/);
  });
});

describe('Policy', () => {
  const now = Date.parse('2026-10-29T00:00:00.000Z');

  it('judges by its clock', () => {
    let clock = now;
    const policy = new Policy(cooldown({ ecosystems: { npm: '3d' } }), () => clock);
    const version = row('19.3.0-canary-dc9aed36-20261027', '2026-10-27T16:05:38.913Z');
    expect(policy.judge('npm', 'react', version)).toMatchObject({ visible: false, rule: 'cooldown.ecosystems.npm' });
    clock = Date.parse('2026-10-30T16:05:38.913Z');
    expect(policy.judge('npm', 'react', version)).toEqual({ visible: true });
  });

  it('judges by the rule of the package', () => {
    const policy = new Policy(cooldown({ ecosystems: { npm: '3d' }, packages: { 'pkg:npm/react': '0' } }), () => now);
    const version = row('19.3.0-canary-dc9aed36-20261027', '2026-10-27T16:05:38.913Z');
    expect(policy.judge('npm', 'react', version)).toEqual({ visible: true });
    expect(policy.judge('npm', 'react-dom', version).visible).toBe(false);
  });

  it('hides the versions inside the cooldown and knows when the first of them comes out', () => {
    const policy = new Policy(cooldown({ ecosystems: { npm: '7d' } }), () => now);
    const visibility = policy.visibility('npm', 'react', fixtureRows('react.json', 'react'));
    // Published after 2026-10-22T00:00Z.
    expect([...visibility.hidden.keys()].sort()).toEqual(['0.0.0-experimental-dc9aed36-20261027', '19.3.0-canary-dc9aed36-20261027']);
    // The canary was published five minutes before the experimental build.
    expect(new Date(visibility.validUntil).toISOString()).toBe('2026-11-03T16:05:38.913Z');
  });

  it('takes validUntil from the earliest of several hidden versions', () => {
    const policy = new Policy(cooldown({ default: '100d' }), () => now);
    const visibility = policy.visibility('npm', 'typescript', fixtureRows('typescript.json', 'typescript'));
    expect([...visibility.hidden.keys()].sort()).toEqual(['7.0.2', '7.1.0-beta', '7.1.0-dev.20261006.1', '7.1.0-dev.20261009.1', '7.1.0-dev.20261021.1']);
    // 7.0.2 (2026-07-23T17:05:02.314Z) comes out first.
    expect(validUntilIso(visibility.validUntil)).toBe('2026-10-31T17:05:02.314Z');
  });

  it('hides nothing, for ever, when every version is old enough', () => {
    const policy = new Policy(cooldown({ ecosystems: { npm: '3d' } }), () => Date.parse('2027-01-01T00:00:00.000Z'));
    expect(policy.visibility('npm', 'react', fixtureRows('react.json', 'react'))).toEqual({ hidden: new Map(), validUntil: Infinity });
  });

  it('hides versions of unknown age for good when unknown_publish_time is deny', () => {
    const rows = fixtureRows('is-number.mirror.json', 'is-number').map((r) => ({ ...r, published_at: null, publish_time_source: 'unknown' as const }));
    const deny = new Policy(cooldown({ ecosystems: { npm: '3d' }, unknown_publish_time: 'deny' }), () => now);
    const denied = deny.visibility('npm', 'is-number', rows);
    expect(denied.hidden.size).toBe(15);
    expect(denied.validUntil).toBe(Infinity);

    const allow = new Policy(cooldown({ ecosystems: { npm: '3d' } }), () => now);
    expect(allow.visibility('npm', 'is-number', rows)).toEqual({ hidden: new Map(), validUntil: Infinity });
  });

  it('takes validUntil from versions that come out, whatever their order, never from unknown ones', () => {
    const policy = new Policy(cooldown({ ecosystems: { npm: '3d' }, unknown_publish_time: 'deny' }), () => now);
    const visibility = policy.visibility('npm', 'react', [
      row('18.2.0', null),
      row('19.3.1', '2026-10-28T12:00:00.000Z', 'first_seen'),
      row('19.3.0', '2026-10-27T00:00:00.000Z'),
      row('19.2.0', '2025-10-01T21:38:32.173Z'),
    ]);
    expect([...visibility.hidden.keys()].sort()).toEqual(['18.2.0', '19.3.0', '19.3.1']);
    expect(validUntilIso(visibility.validUntil)).toBe('2026-10-30T00:00:00.000Z');
  });
});

function validUntilIso(ms: number): string {
  expect(Number.isFinite(ms)).toBe(true);
  return new Date(ms).toISOString();
}
