import type { VersionSeen } from '../db/versions.js';
import type { EcosystemName } from './names.js';

/**
 * The contract between an ecosystem module and the rest of pkgproxy. A module knows its
 * registry's protocol: which requests are metadata, artifacts or pass-through, where they live
 * upstream, how to read versions and checksums out of metadata, and how to rewrite metadata
 * for clients. Gateway, fetcher and policy know nothing else about an ecosystem.
 */
export interface Ecosystem {
  name: EcosystemName;
  /**
   * Classifies a request by its path below the mount (still percent-encoded, without the
   * query). Throws HttpError (400/404/405) with a one-line reason for paths it refuses.
   */
  route(path: string, request: { method: string; accept: string | undefined; query: string }): Route;
  /** Reads an upstream metadata document; throws when it is not valid for this route. */
  parse(route: MetadataRoute, body: Buffer): ParsedMetadata;
  /** Writes the document a client gets: artifact URLs pointing at the proxy, hidden versions gone. */
  render(route: MetadataRoute, parsed: ParsedMetadata, context: RenderContext): Rendered;
  /** Content type of an artifact, from its path. */
  artifactContentType(path: string): string;
  /** An error response in the form this ecosystem's clients show to their users. */
  errorBody(status: number, message: string): { contentType: string; body: string };
}

export type Route = MetadataRoute | ArtifactRoute | PassthroughRoute;

export interface MetadataRoute {
  kind: 'metadata';
  package: string;
  /** Identifies the upstream document; routes rendered from the same document share it. */
  docKey: string;
  /** Location relative to each upstream base URL. */
  upstreamPath: string;
  /** Accept header sent upstream. */
  upstreamAccept: string;
  /** How the document is rendered for this request; part of the rendered-cache key. */
  variant: string;
}

export interface ArtifactRoute {
  kind: 'artifact';
  package: string;
  /** Canonical path below the mount: the artifact's key. */
  path: string;
  /** Where the artifact conventionally lives upstream, before metadata declares a URL. */
  upstreamPath: string;
  /** The metadata document that declares this artifact, with its version and checksums. */
  metadata: MetadataRoute;
}

export interface PassthroughRoute {
  kind: 'passthrough';
  /** Location relative to each upstream base URL, query included. */
  upstreamPath: string;
}

export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  hex: string;
}

export interface ArtifactDeclaration {
  /** Canonical path below the mount, as ArtifactRoute.path. */
  path: string;
  version: string;
  upstreamUrl: string;
  checksums: Checksum[];
}

export interface ParsedMetadata {
  package: string;
  versions: VersionSeen[];
  artifacts: ArtifactDeclaration[];
  /** The module's own parsed form, handed back to render. */
  document: unknown;
}

export interface RenderContext {
  /** Absolute URL of this ecosystem's mount on the proxy, ending in '/'. */
  mountUrl: string;
  /** Versions policy hides from this client, each with the reason to show where the format can. */
  hidden: ReadonlyMap<string, string>;
}

export interface Rendered {
  body: Buffer;
  contentType: string;
}
