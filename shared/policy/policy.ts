import type { EcosystemName } from '../ecosystems/names.js';
import type { CooldownConfig } from '../config/schema.js';
import type { VersionRow } from '../db/schema.js';
import { cooldownFor, judgeVersion, type Verdict } from './cooldown.js';

export interface Visibility {
  /** Hidden versions, each with the one-line reason. */
  hidden: Map<string, string>;
  /** When the answer may next change (a hidden version comes of age); Infinity if never. */
  validUntil: number;
}

/** Decides which versions clients may see and download. */
export class Policy {
  constructor(
    private readonly cooldown: CooldownConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  judge(ecosystem: EcosystemName, pkg: string, version: Pick<VersionRow, 'version' | 'published_at' | 'publish_time_source'>): Verdict {
    return judgeVersion(pkg, version, cooldownFor(this.cooldown, ecosystem, pkg), this.cooldown.unknown_publish_time, this.clock());
  }

  visibility(ecosystem: EcosystemName, pkg: string, versions: VersionRow[]): Visibility {
    const rule = cooldownFor(this.cooldown, ecosystem, pkg);
    const now = this.clock();
    const hidden = new Map<string, string>();
    let validUntil = Infinity;
    for (const version of versions) {
      const verdict = judgeVersion(pkg, version, rule, this.cooldown.unknown_publish_time, now);
      if (verdict.visible) continue;
      hidden.set(version.version, verdict.reason);
      if (verdict.availableAt !== null) validUntil = Math.min(validUntil, verdict.availableAt);
    }
    return { hidden, validUntil };
  }
}
