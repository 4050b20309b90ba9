import { badRequest } from '../../http-error.js';

/**
 * Module paths and versions as the GOPROXY protocol writes them. Paths are case-sensitive but
 * many file systems are not, so every upper-case letter travels as "!" and its lower-case form
 * ("github.com/BurntSushi/toml" is "github.com/!burnt!sushi/toml"); versions likewise.
 * Validation follows golang.org/x/mod/module.CheckPath.
 */

const MAX_MODULE_PATH_LENGTH = 1024;
const MAX_VERSION_LENGTH = 256;
const ELEMENT = /^[A-Za-z0-9._~-]+$/;
const FIRST_ELEMENT = /^[a-z0-9.-]+$/;
/** A canonical semantic version: the only versions whose .mod and .zip a proxy serves. */
const CANONICAL_VERSION = /^v(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+incompatible)?$/;
/** A version query the go command may send for an .info (a branch, a commit, "v1.2"): one path element. */
const QUERY = /^[A-Za-z0-9_+~-][A-Za-z0-9._+~-]*$/;

/** Decodes an escaped module path ("github.com/!burnt!sushi/toml") and checks it. */
export function unescapeModulePath(escaped: string): string {
  const path = unescape(escaped, 'module path');
  if (path.length > MAX_MODULE_PATH_LENGTH) throw badRequest(`module path is longer than ${MAX_MODULE_PATH_LENGTH} characters`);
  const elements = path.split('/');
  const first = elements[0]!;
  if (!first.includes('.') || !FIRST_ELEMENT.test(first) || first.startsWith('-')) {
    throw badRequest(`invalid module path ${quote(path)}: the first element must be a lower-case domain name`);
  }
  for (const element of elements) {
    if (!ELEMENT.test(element) || element.startsWith('.') || element.endsWith('.')) {
      throw badRequest(`invalid module path ${quote(path)}: bad element ${quote(element)}`);
    }
  }
  return path;
}

/** Decodes an escaped version and checks that it is canonical ("v1.2.3", "v0.0.0-20240102030405-abcdef123456"). */
export function unescapeVersion(escaped: string): string {
  const version = unescape(escaped, 'version');
  if (!isCanonicalVersion(version)) throw badRequest(`invalid module version ${quote(version)}: a canonical semantic version like v1.2.3 is expected`);
  return version;
}

/** Decodes an escaped version query (what `go get module@<query>` resolves through an .info). */
export function unescapeQuery(escaped: string): string {
  const query = unescape(escaped, 'version query');
  if (query.length > MAX_VERSION_LENGTH || !QUERY.test(query)) throw badRequest(`invalid module version query ${quote(query)}`);
  return query;
}

export function isCanonicalVersion(version: string): boolean {
  const match = CANONICAL_VERSION.exec(version);
  if (!match || version.length > MAX_VERSION_LENGTH) return false;
  // Numeric prerelease identifiers have no leading zeros.
  return (match[1] ?? '').split('.').every((id) => !/^0\d+$/.test(id));
}

/** Escapes a module path or version for a GOPROXY URL. */
export function escapeCase(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => `!${letter.toLowerCase()}`);
}

function unescape(escaped: string, what: string): string {
  if (/[A-Z]/.test(escaped)) throw badRequest(`invalid ${what} ${quote(escaped)}: upper-case letters must be escaped as "!" and the lower-case letter`);
  if (/![^a-z]|!$/.test(escaped)) throw badRequest(`invalid ${what} ${quote(escaped)}: "!" must be followed by a lower-case letter`);
  return escaped.replace(/!([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function quote(text: string): string {
  return JSON.stringify(text.slice(0, 200));
}
