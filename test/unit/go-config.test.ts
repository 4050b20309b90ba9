import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load.js';
import { configSchema } from '../../shared/config/schema.js';
import { privateMatcher } from '../../shared/ecosystems/go/private.js';
import { cooldownFor } from '../../shared/policy/cooldown.js';

describe('go.private patterns (GOPRIVATE syntax)', () => {
  it('match as many leading path elements as the pattern has', () => {
    const isPrivate = privateMatcher(['*.corp.example.com', 'github.com/acme/*', 'example.org/exact']);
    expect(isPrivate('git.corp.example.com/team/tool')).toBe('*.corp.example.com');
    expect(isPrivate('a.b.corp.example.com/x')).toBe('*.corp.example.com');
    expect(isPrivate('corp.example.com/x')).toBeUndefined();
    expect(isPrivate('github.com/acme/widget')).toBe('github.com/acme/*');
    expect(isPrivate('github.com/acme/widget/v2')).toBe('github.com/acme/*');
    expect(isPrivate('github.com/acme')).toBeUndefined();
    expect(isPrivate('github.com/acmeco/widget')).toBeUndefined();
    expect(isPrivate('example.org/exact/sub')).toBe('example.org/exact');
    expect(isPrivate('example.org/exactly')).toBeUndefined();
  });

  it('support "?", character classes, negation, escapes and a trailing slash, never matching "/" with a wildcard', () => {
    const isPrivate = privateMatcher(['example.com/team?', 'example.com/[a-c]x', 'example.com/[^a-c]y', 'example.com/lit\\*', 'example.net/dir/']);
    expect(isPrivate('example.com/team1/m')).toBe('example.com/team?');
    expect(isPrivate('example.com/team12/m')).toBeUndefined();
    expect(isPrivate('example.com/bx')).toBe('example.com/[a-c]x');
    expect(isPrivate('example.com/dx')).toBeUndefined();
    expect(isPrivate('example.com/dy')).toBe('example.com/[^a-c]y');
    expect(isPrivate('example.com/ay')).toBeUndefined();
    expect(isPrivate('example.com/lit*')).toBe('example.com/lit\\*');
    expect(isPrivate('example.com/litx')).toBeUndefined();
    expect(isPrivate('example.net/dir/m')).toBe('example.net/dir');
    expect(privateMatcher(['*'])('example.com/m')).toBe('*');
    expect(privateMatcher(['example.*'])('example.com/m')).toBe('example.*');
    expect(privateMatcher(['example.*'])('example.com')).toBe('example.*');
  });
});

describe('Go configuration', () => {
  it('takes go.private as a YAML list or a comma-separated PROXY_GO_PRIVATE', () => {
    const fromEnv = loadConfig({ env: { PROXY_GO_PRIVATE: '*.corp.example.com, github.com/acme/*,' } });
    expect(fromEnv.ok && fromEnv.config.go.private).toEqual(['*.corp.example.com', 'github.com/acme/*']);
    const unset = loadConfig({ env: {} });
    expect(unset.ok && unset.config.go.private).toEqual([]);
    expect(unset.ok && unset.config.upstreams.go).toEqual(['https://proxy.golang.org/']);
  });

  it('refuses a malformed pattern, saying where it came from', () => {
    const result = loadConfig({ env: { PROXY_GO_PRIVATE: 'github.com/[acme' } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual(['go.private: pattern "github.com/[acme" has an unclosed "[" (from PROXY_GO_PRIVATE)']);
  });

  it('sets upstreams and cooldown from PROXY_UPSTREAM_GO and PROXY_COOLDOWN_GO', () => {
    const result = loadConfig({ env: { PROXY_UPSTREAM_GO: 'https://goproxy.corp.example.com, https://proxy.golang.org', PROXY_COOLDOWN_GO: '7d' } });
    expect(result.ok && result.config.upstreams.go).toEqual(['https://goproxy.corp.example.com/', 'https://proxy.golang.org/']);
    expect(result.ok && result.config.cooldown.ecosystems.go).toBe(7 * 86_400_000);
  });

  it('keys per-module cooldowns by the golang package URL type', () => {
    const config = configSchema.parse({
      cooldown: { ecosystems: { go: '3d' }, packages: { 'pkg:golang/github.com/BurntSushi/toml': 0, 'pkg:golang/golang.org%2Fx%2Ftext': '1d' } },
    });
    expect(cooldownFor(config.cooldown, 'go', 'github.com/BurntSushi/toml')).toEqual({ durationMs: 0, source: 'cooldown.packages["pkg:golang/github.com/BurntSushi/toml"]' });
    expect(cooldownFor(config.cooldown, 'go', 'golang.org/x/text').durationMs).toBe(86_400_000);
    expect(cooldownFor(config.cooldown, 'go', 'golang.org/x/net')).toEqual({ durationMs: 3 * 86_400_000, source: 'cooldown.ecosystems.go' });
    expect(configSchema.safeParse({ cooldown: { packages: { 'pkg:golang/x': 0 } } }).success).toBe(true);
    expect(configSchema.safeParse({ cooldown: { packages: { 'pkg:gopkg/x': 0 } } }).success).toBe(false);
  });
});
