import type { CooldownConfig } from '../config/schema.js';
import { formatDuration } from '../config/units.js';
import type { VersionRow } from '../db/schema.js';
import { packageUrl, type EcosystemName } from '../ecosystems/names.js';

/** The cooldown that applies to one package, and the setting it comes from. */
export interface CooldownRule {
  durationMs: number;
  /** Config path of the setting, e.g. `cooldown.packages["pkg:npm/lodash"]`. */
  source: string;
}

/** Resolution order: the package's own rule, then its ecosystem's, then the default. */
export function cooldownFor(config: CooldownConfig, ecosystem: EcosystemName, pkg: string): CooldownRule {
  const key = packageUrl(ecosystem, pkg);
  const forPackage = config.packages[key];
  if (forPackage !== undefined) return { durationMs: forPackage, source: `cooldown.packages["${key}"]` };
  const forEcosystem = (config.ecosystems as Record<string, number | undefined>)[ecosystem];
  if (forEcosystem !== undefined) return { durationMs: forEcosystem, source: `cooldown.ecosystems.${ecosystem}` };
  return { durationMs: config.default, source: 'cooldown.default' };
}

export type Verdict = { visible: true } | { visible: false; rule: string; reason: string; availableAt: number | null };

type VersionFacts = Pick<VersionRow, 'version' | 'published_at' | 'publish_time_source'>;

/** Whether one version is visible under a cooldown rule at `now`, with a one-line reason if not. */
export function judgeVersion(pkg: string, version: VersionFacts, rule: CooldownRule, unknownPublishTime: 'allow' | 'deny', now: number): Verdict {
  if (rule.durationMs === 0) return { visible: true };
  if (version.published_at === null) {
    if (unknownPublishTime === 'allow') return { visible: true };
    return {
      visible: false,
      rule: 'cooldown.unknown_publish_time',
      reason: `${pkg}@${version.version} has no known publish time, and cooldown.unknown_publish_time is deny`,
      availableAt: null,
    };
  }
  const availableAt = version.published_at + rule.durationMs;
  if (now >= availableAt) return { visible: true };
  const seen = version.publish_time_source === 'first_seen' ? 'was first seen by this proxy' : 'was published';
  return {
    visible: false,
    rule: rule.source,
    reason:
      `${pkg}@${version.version} ${seen} at ${new Date(version.published_at).toISOString()}, ` +
      `inside the ${formatDuration(rule.durationMs)} cooldown set by ${rule.source}; ` +
      `it becomes available at ${new Date(availableAt).toISOString()}`,
    availableAt,
  };
}
