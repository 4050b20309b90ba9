import { badRequest } from '../../http-error.js';

/**
 * npm package names: optional "@scope/", then characters that survive encodeURIComponent.
 * Legacy names may hold capitals; no name starts with "." or "_".
 */
const NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[A-Za-z0-9~!'()*-][A-Za-z0-9._~!'()*-]*$/;
const MAX_NAME_LENGTH = 214;

export function validatePackageName(name: string): string {
  if (name.length > MAX_NAME_LENGTH || !NAME.test(name)) {
    throw badRequest(`invalid npm package name ${JSON.stringify(name.slice(0, 100))}`);
  }
  return name;
}

/** The path segment(s) of a package in registry URLs: scoped names keep their slash encoded. */
export function encodePackageName(name: string): string {
  return name.startsWith('@') ? name.replace('/', '%2f') : name;
}

/** "@scope/name" → "name": tarball files are named after the unscoped part. */
export function unscopedName(name: string): string {
  return name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
}
