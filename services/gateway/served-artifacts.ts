import type { ArtifactWithVersion } from '../../shared/db/artifacts.js';

/** Rows remembered by one gateway; a row is a few hundred bytes. */
const MAX_ROWS = 20_000;

/**
 * The artifact rows this gateway served most recently, so that cached artifacts keep being
 * answered while the database is unreachable: the bytes behind a fetched artifact do not
 * change. Only rows with stored bytes are kept; the oldest go first.
 */
export class ServedArtifacts {
  private readonly rows = new Map<string, ArtifactWithVersion>();

  remember(ecosystem: string, path: string, row: ArtifactWithVersion | undefined): void {
    const key = `${ecosystem}\0${path}`;
    this.rows.delete(key);
    if (row?.blob_sha256 == null) return;
    this.rows.set(key, row);
    if (this.rows.size > MAX_ROWS) this.rows.delete(this.rows.keys().next().value!);
  }

  get(ecosystem: string, path: string): ArtifactWithVersion | undefined {
    return this.rows.get(`${ecosystem}\0${path}`);
  }
}
