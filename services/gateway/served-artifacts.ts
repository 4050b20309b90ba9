import type { ArtifactWithVersion } from '../../shared/db/artifacts.js';

/** Rows remembered by one gateway; a row is a few hundred bytes. */
const MAX_ROWS = 50_000;

/**
 * The artifact rows this gateway served, so that hits need no database: the bytes behind a
 * fetched artifact do not change, and a version policy let through stays allowed (a cooldown
 * only ends). They also keep cached artifacts answering while the database is unreachable.
 * Only rows with stored bytes that passed policy are kept; the least recently used go first.
 */
export class ServedArtifacts {
  private readonly rows = new Map<string, ArtifactWithVersion>();

  remember(ecosystem: string, path: string, row: ArtifactWithVersion): void {
    const key = `${ecosystem}\0${path}`;
    this.rows.delete(key);
    if (row.blob_sha256 == null) return;
    this.rows.set(key, row);
    if (this.rows.size > MAX_ROWS) this.rows.delete(this.rows.keys().next().value!);
  }

  get(ecosystem: string, path: string): ArtifactWithVersion | undefined {
    const key = `${ecosystem}\0${path}`;
    const row = this.rows.get(key);
    if (row) {
      this.rows.delete(key);
      this.rows.set(key, row);
    }
    return row;
  }

  forget(ecosystem: string, path: string): void {
    this.rows.delete(`${ecosystem}\0${path}`);
  }
}
