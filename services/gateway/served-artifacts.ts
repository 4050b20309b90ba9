import type { Readable } from 'node:stream';
import type { ArtifactWithVersion } from '../../shared/db/artifacts.js';
import { HotCache } from './hot-cache.js';
import type { CacheOutcome } from './metadata-cache.js';

/** Rows remembered by one gateway; a row is a few hundred bytes. */
const MAX_ROWS = 50_000;

/** Stored bytes as the gateway answers with them; the header values are worked out once per row. */
export interface StoredArtifact {
  sha256: string;
  size: number;
  etag: string;
  lastModified: string;
  cache: CacheOutcome;
  /** The verified bytes of a download not committed yet, read from its spool. */
  unread?: Readable;
}

export function storedArtifact(row: ArtifactWithVersion, cache: CacheOutcome): StoredArtifact {
  return { sha256: row.blob_sha256!, size: Number(row.size), etag: `"${row.blob_sha256}"`, lastModified: new Date(Number(row.fetched_at)).toUTCString(), cache };
}

interface Served {
  row: ArtifactWithVersion;
  hit: StoredArtifact;
}

/**
 * The artifact rows this gateway served, so that hits need no database: the bytes behind a
 * fetched artifact do not change, and a version policy let through stays allowed (a cooldown
 * only ends). They also keep cached artifacts answering while the database is unreachable.
 * Only rows with stored bytes that passed policy are kept.
 */
export class ServedArtifacts {
  private readonly served = new HotCache<Served>(MAX_ROWS);

  remember(ecosystem: string, path: string, row: ArtifactWithVersion): void {
    const key = keyOf(ecosystem, path);
    if (row.blob_sha256 == null) this.served.delete(key);
    else this.served.set(key, { row, hit: storedArtifact(row, 'hit') }, 1);
  }

  /** The answer to a hit, worked out when the row was remembered. */
  hit(ecosystem: string, path: string): StoredArtifact | undefined {
    return this.served.get(keyOf(ecosystem, path))?.hit;
  }

  row(ecosystem: string, path: string): ArtifactWithVersion | undefined {
    return this.served.get(keyOf(ecosystem, path))?.row;
  }

  forget(ecosystem: string, path: string): void {
    this.served.delete(keyOf(ecosystem, path));
  }
}

function keyOf(ecosystem: string, path: string): string {
  return `${ecosystem}\0${path}`;
}
