import { badRequest } from '../../http-error.js';

/** crates.io's rule for crate names: ASCII letters, digits, "-" and "_", starting with a letter, 64 at most. */
const CRATE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** A SemVer version as Cargo writes it: no leading "v", optional pre-release and build metadata. */
const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const MAX_VERSION_LENGTH = 256;

export function validateCrateName(name: string): string {
  if (!CRATE_NAME.test(name)) throw badRequest(`invalid crate name ${JSON.stringify(name.slice(0, 100))}`);
  return name;
}

export function validateVersion(version: string): string {
  if (version.length > MAX_VERSION_LENGTH || !VERSION.test(version)) throw badRequest(`invalid crate version ${JSON.stringify(version.slice(0, 100))}`);
  return version;
}

/**
 * The directory of a crate's file in an index: "1", "2", "3/<first letter>", or
 * "<first two>/<next two>" (Cargo's `{prefix}`, from the name as given).
 */
export function indexPrefix(name: string): string {
  if (name.length <= 2) return String(name.length);
  if (name.length === 3) return `3/${name[0]}`;
  return `${name.slice(0, 2)}/${name.slice(2, 4)}`;
}

/** A crate's index file below the index root; index paths are lowercase. */
export function indexPath(name: string): string {
  const lower = name.toLowerCase();
  return `${indexPrefix(lower)}/${lower}`;
}
