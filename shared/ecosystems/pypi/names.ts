import { badRequest } from '../../http-error.js';
import { normalizeVersion } from './versions.js';

/** PEP 508 project names: letters, digits and . _ -, starting and ending with a letter or digit. */
const PROJECT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const MAX_NAME_LENGTH = 200;
/** Distribution file names: no slashes, no "..", nothing that needs quoting in a URL path. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+!-]*$/;
const MAX_FILE_NAME_LENGTH = 255;
const SDIST_SUFFIXES = ['.tar.gz', '.zip', '.tar.bz2', '.tar.xz', '.tgz', '.tar'];

/** PEP 503 normalization: runs of "-", "_" and "." become "-", letters lower case. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export function validateProjectName(name: string): string {
  if (name.length > MAX_NAME_LENGTH || !PROJECT_NAME.test(name)) throw badRequest(`invalid Python project name ${JSON.stringify(name.slice(0, 100))}`);
  return name;
}

export function validFileName(file: string): boolean {
  return file.length <= MAX_FILE_NAME_LENGTH && FILE_NAME.test(file) && !file.includes('..');
}

/**
 * The (normalized) version of a distribution file of a project, read from its name, or
 * undefined when the name is not one of the project's wheels, sdists or eggs. Legacy
 * installers (.exe, .msi) name no version reliably and are not served.
 *
 *   Demo_Lib-1.0-py3-none-any.whl       wheel: name-version(-build)-python-abi-platform
 *   demo-lib-1.0.tar.gz                 sdist: the name may itself hold dashes
 *   demo_lib-1.0-py3.11.egg             egg:   name-version(-python(-platform))
 */
export function versionOfFile(project: string, file: string): string | undefined {
  if (file.endsWith('.whl') || file.endsWith('.egg')) {
    const parts = file.slice(0, -4).split('-');
    const wellFormed = file.endsWith('.whl') ? parts.length === 5 || parts.length === 6 : parts.length >= 2 && parts.length <= 4;
    if (!wellFormed || normalizeName(parts[0]!) !== project || !parts[1]) return undefined;
    return normalizeVersion(parts[1]);
  }
  const suffix = SDIST_SUFFIXES.find((s) => file.toLowerCase().endsWith(s));
  if (!suffix) return undefined;
  const stem = file.slice(0, -suffix.length);
  for (let dash = stem.indexOf('-'); dash > 0; dash = stem.indexOf('-', dash + 1)) {
    if (normalizeName(stem.slice(0, dash)) === project && dash + 1 < stem.length) return normalizeVersion(stem.slice(dash + 1));
  }
  return undefined;
}
