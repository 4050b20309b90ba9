import type { ArtifactRoute, CompletionContext, DownloadedBytes } from '../types.js';
import { goModHash, zipHash } from './dirhash.js';
import { escapeCase } from './paths.js';

/** The checksum database the go command trusts by default; proxy.golang.org serves it below /sumdb/. */
export const CHECKSUM_DATABASE = 'sum.golang.org';

/**
 * A GOPROXY serves no checksums of its files; the checksum database records, for every public
 * module version, the h1: hashes of its zip's files and of its go.mod, which is what go.sum
 * holds. A .zip or .mod whose hash differs from that record is refused before it is cached.
 * Modules the database does not know (private ones, or an upstream that does not proxy it:
 * 404) pass unchecked. The database's signatures are checked by the go command, not here.
 */
export async function checkAgainstChecksumDatabase(route: ArtifactRoute, bytes: DownloadedBytes, context: CompletionContext): Promise<string | undefined> {
  const extension = route.path.slice(route.path.lastIndexOf('.') + 1);
  if ((extension !== 'zip' && extension !== 'mod') || !route.self) return undefined;
  const module = route.package;
  const { version } = route.self;
  const lookup = await context.fetch(`sumdb/${CHECKSUM_DATABASE}/lookup/${escapeCase(module)}@${escapeCase(version)}`);
  if (!lookup) return undefined;

  const recordedAs = extension === 'mod' ? `${version}/go.mod` : version;
  const expected = recordedHash(lookup.body.toString('utf8'), module, recordedAs);
  if (expected === undefined) return `${CHECKSUM_DATABASE} answered a record without "${module} ${recordedAs} h1:..."`;
  let actual: string;
  try {
    actual = extension === 'zip' ? await zipHash(bytes) : await goModHash(bytes);
  } catch (err) {
    return `unreadable module zip: ${(err as Error).message}`;
  }
  return actual === expected ? undefined : `${module} ${recordedAs} hashes to ${actual}, but ${CHECKSUM_DATABASE} records ${expected}`;
}

/** The h1: hash on the record line "<module> <version>[/go.mod] h1:<base64>". */
function recordedHash(record: string, module: string, recordedAs: string): string | undefined {
  for (const line of record.split('\n')) {
    const [path, version, hash, ...rest] = line.trim().split(' ');
    if (path === module && version === recordedAs && hash?.startsWith('h1:') && rest.length === 0) return hash;
  }
  return undefined;
}
