import { createHash } from 'node:crypto';
import type { EcosystemName } from '../ecosystems/names.js';
import type { ArtifactRoute, MetadataRoute } from '../ecosystems/types.js';

/** Download one artifact, as the gateway routed it. */
export interface ArtifactJob {
  ecosystem: EcosystemName;
  route: ArtifactRoute;
  /** Download again even though bytes are stored: a mutable artifact past its TTL. */
  revalidate?: boolean;
}

/** Fetch or revalidate one metadata document, as the gateway routed it. */
export interface MetadataJob {
  ecosystem: EcosystemName;
  route: MetadataRoute;
}

export interface FetchOutcome {
  /** False when upstream has no such artifact or document. */
  found: boolean;
}

export interface CleanupJob {
  task: 'orphan-blobs';
}

export interface CleanupOutcome {
  deleted: number;
}

/**
 * The queues and what their jobs carry. fetch: artifacts a client waits for; prefetch: artifacts
 * a client will probably want (lower priority); refresh: metadata fetched or revalidated;
 * cleanup: the refresher's housekeeping.
 */
export interface Queues {
  fetch: { data: ArtifactJob; result: FetchOutcome };
  prefetch: { data: ArtifactJob; result: FetchOutcome };
  refresh: { data: MetadataJob; result: FetchOutcome };
  cleanup: { data: CleanupJob; result: CleanupOutcome };
}

export type QueueName = keyof Queues;

/**
 * A job id derived from what the job works on, so that everyone asking for the same thing
 * joins the same job. Hex only: BullMQ refuses ':' in custom ids.
 */
export function jobId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 40);
}

export const fetchJobId = (ecosystem: string, artifactPath: string) => jobId('artifact', ecosystem, artifactPath);
export const refreshJobId = (ecosystem: string, docKey: string) => jobId('metadata', ecosystem, docKey);
