import { badRequest } from '../../http-error.js';

/** Gem names as rubygems.org accepts them; never "." or "..", so never a path step. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const MAX_NAME_LENGTH = 200;

/**
 * A version as the compact index writes it: the number, then "-<platform>" for platform gems
 * ("1.16.0", "2.0.0.rc1", "1.16.0-x86_64-linux"). pkgproxy keys versions by this whole string,
 * because each platform gem is pushed, and so dated, on its own.
 */
export const VERSION_KEY = /^[0-9][A-Za-z0-9._-]{0,127}$/;

/** A version number alone: RubyGems turns dashes into ".pre.", so none is left in it. */
const VERSION_NUMBER = /^[0-9]+(?:\.[0-9A-Za-z]+)*$/;

export function validateGemName(name: string): string {
  if (name.length > MAX_NAME_LENGTH || !NAME.test(name)) throw badRequest(`invalid gem name ${JSON.stringify(name.slice(0, 100))}`);
  return name;
}

/**
 * Splits a file's full name, "<name>-<version>[-<platform>]", as RubyGems writes it. Names may
 * hold dashes and digits too, so the version is the first dash-separated part that is a version
 * number and is followed by nothing or by a platform (platforms start with a CPU name, a
 * letter): "net-http-2-0.4.1" is net-http-2 0.4.1.
 */
export function splitFullName(fullName: string): { name: string; version: string } | undefined {
  const parts = fullName.split('-');
  for (let i = 1; i < parts.length; i++) {
    if (!VERSION_NUMBER.test(parts[i]!)) continue;
    const next = parts[i + 1];
    if (next !== undefined && !/^[A-Za-z]/.test(next)) continue;
    return { name: parts.slice(0, i).join('-'), version: parts.slice(i).join('-') };
  }
  return undefined;
}
