import type { Config } from '../config/schema.js';
import type { EcosystemName } from './names.js';
import { createCargo } from './cargo/index.js';
import { gem } from './gem/index.js';
import { createGo } from './go/index.js';
import { createMaven } from './maven/index.js';
import { npm } from './npm/index.js';
import { pypi } from './pypi/index.js';
import type { Ecosystem } from './types.js';

/** Every ecosystem module, by the name that is also its mount, set up from the configuration. */
export function createEcosystems(config: Config): Record<EcosystemName, Ecosystem> {
  return { npm, pypi, gem, cargo: createCargo(config), go: createGo(config.go), maven: createMaven(config) };
}

export type { Ecosystem } from './types.js';
