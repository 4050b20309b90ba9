import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database schema, the one source of row types. Timestamps are milliseconds since the
 * epoch; booleans are 0/1 integers so that SQLite and Postgres rows look the same.
 */
export interface Database {
  metadata: MetadataTable;
  versions: VersionsTable;
  artifacts: ArtifactsTable;
  blobs: BlobsTable;
  policy_decisions: PolicyDecisionsTable;
}

/** One upstream metadata document (a packument, an index page), stored raw as fetched. */
export interface MetadataTable {
  ecosystem: string;
  doc_key: string;
  package: string;
  /** 200 when a body is stored, 404 when upstream said there is no such document. */
  status: number;
  /** The body's sha256: its name in the blob store, unless `body` holds it. */
  blob_sha256: string | null;
  size: number | null;
  content_type: string | null;
  etag: string | null;
  last_modified: string | null;
  /** Upstream URL the body came from. */
  upstream_url: string | null;
  /** Last time upstream confirmed this body (200 or 304) or its absence (404). */
  fetched_at: number;
  /** A small body itself; null when it is in the blob store (or there is none). */
  body: Buffer | null;
}

export type PublishTimeSource = 'upstream' | 'first_seen' | 'unknown';

/** Every version seen in metadata, with the publish time that policy judges it by. */
export interface VersionsTable {
  ecosystem: string;
  package: string;
  version: string;
  /** null when source is 'unknown'. */
  published_at: number | null;
  publish_time_source: PublishTimeSource;
  first_seen_at: number;
  yanked: number;
}

/**
 * An artifact declared by metadata (or requested directly), keyed by its path under the
 * ecosystem's mount. The blob columns are set once the bytes are fetched and verified.
 */
export interface ArtifactsTable {
  ecosystem: string;
  path: string;
  package: string;
  version: string;
  upstream_url: string;
  /** JSON array of {algorithm, hex} the metadata declared. */
  checksums: string;
  blob_sha256: string | null;
  size: number | null;
  fetched_at: number | null;
  last_access_at: number | null;
  hits: Generated<number>;
}

/** Content-addressed bytes shared by every artifact or metadata row with the same sha256. */
export interface BlobsTable {
  sha256: string;
  size: number;
  /** Last time a row started referencing this blob: garbage collection spares recent ones. */
  referenced_at: number;
}

/** What policy refused, and why: one row per version and rule, counting repeats. */
export interface PolicyDecisionsTable {
  ecosystem: string;
  package: string;
  version: string;
  rule: string;
  reason: string;
  first_at: number;
  last_at: number;
  count: number;
}

/** A metadata row as read for serving: the body is read on its own, when it is rendered. */
export type MetadataRow = Omit<Selectable<MetadataTable>, 'body'>;
export type VersionRow = Selectable<VersionsTable>;
export type NewVersion = Insertable<VersionsTable>;
export type ArtifactRow = Selectable<ArtifactsTable>;
export type NewArtifact = Insertable<ArtifactsTable>;
export type ArtifactUpdate = Updateable<ArtifactsTable>;
