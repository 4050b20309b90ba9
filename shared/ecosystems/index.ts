import type { EcosystemName } from './names.js';
import { npm } from './npm/index.js';
import type { Ecosystem } from './types.js';

/** Every ecosystem module, by the name that is also its mount. */
export const ECOSYSTEMS: Record<EcosystemName, Ecosystem> = { npm };

export type { Ecosystem } from './types.js';
