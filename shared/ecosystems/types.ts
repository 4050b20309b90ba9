import type { Readable } from 'node:stream';
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
  /**
   * Reads an upstream metadata document; throws when it is not valid for this route. `source`
   * is the URL the document came from (a refresh always gives it), for formats that locate
   * artifacts relative to it: RubyGems' /info names no URLs, its gems live on the same upstream.
   */
  parse(route: MetadataRoute, body: Buffer, source?: { url: string }): ParsedMetadata;
  /** Writes the document a client gets: artifact URLs pointing at the proxy, hidden versions gone. */
  render(route: MetadataRoute, parsed: ParsedMetadata, context: RenderContext): Rendered;
  /**
   * Finds the publish times a metadata document does not carry, in other upstream documents
   * (Go's .info files, a Maven POM's Last-Modified, the crates.io API). The fetcher calls it
   * before recording versions; `context.known` holds what earlier fetches recorded, so only
   * versions never dated need a request. Returns the versions with what it found filled in.
   */
  completeVersions?(route: MetadataRoute, versions: VersionSeen[], context: CompletionContext): Promise<VersionSeen[]>;
  /**
   * Declares a metadata document's artifacts when where they live is in another upstream
   * document (a Cargo index line has the checksum, the registry's config.json the download
   * URL template). The fetcher calls it after parse, with `context.documentUrl` set; what it
   * returns replaces `parsed.artifacts`.
   */
  declareArtifacts?(route: MetadataRoute, parsed: ParsedMetadata, context: CompletionContext): Promise<ArtifactDeclaration[]>;
  /**
   * Checks downloaded bytes against a record that is not a digest of the file (Go's checksum
   * database holds an h1: hash of the files inside a module zip). The fetcher calls it once
   * the bytes verify against the declared checksums, before the artifact is recorded; a reason
   * it resolves to fails the download (502) and the artifact stays unrecorded.
   */
  verifyArtifact?(route: ArtifactRoute, bytes: DownloadedBytes, context: CompletionContext): Promise<string | undefined>;
  /** Content type of an artifact, from its path. */
  artifactContentType(path: string): string;
  /**
   * An error response in the form this ecosystem's clients show to their users; statusMessage
   * replaces the status line's reason phrase, for clients that print only that (pip).
   */
  errorBody(status: number, message: string): { contentType: string; body: string; statusMessage?: string };
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
  /**
   * Where the artifact lives upstream, relative to each upstream base. Without it (PyPI files
   * live on another host) only the URL its metadata declares is used.
   */
  upstreamPath?: string;
  /** The metadata document that declares this artifact, or at least lists its version. */
  metadata: MetadataRoute;
  /**
   * Set when the path itself says what the artifact is (Go, Maven), so that no metadata needs
   * to declare it. Checksums then come from sidecar files upstream, where there are any.
   */
  self?: { version: string; checksumSidecars?: ChecksumSidecar[] };
  /** Content that can change upstream under the same path (Maven SNAPSHOTs): refetched after metadata_ttl. */
  mutable?: boolean;
}

/** A file upstream whose first word is the hex digest of an artifact (Maven's .sha1, .sha256). */
export interface ChecksumSidecar {
  algorithm: ChecksumAlgorithm;
  upstreamPath: string;
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

export interface CompletionContext {
  /** Versions earlier fetches recorded, with the publish time they settled on (null: unknown). */
  known: ReadonlyMap<string, { publishedAt: number | null }>;
  /**
   * Fetches a document from the ecosystem's upstreams in order (a path relative to their
   * bases, or an absolute URL); undefined when none has it. Bodies are bounded by
   * max_metadata_size.
   */
  fetch(pathOrUrl: string, init?: { method?: 'GET' | 'HEAD'; accept?: string }): Promise<UpstreamDocument | undefined>;
  now: number;
  /**
   * Where the metadata document being recorded came from, when there is one: the upstream
   * that has the package, whose other documents belong with it.
   */
  documentUrl?: string;
}

/** An artifact's downloaded bytes, readable whole or by range (inclusive). */
export interface DownloadedBytes {
  size: number;
  open(range?: { start: number; end: number }): Promise<Readable>;
}

export interface UpstreamDocument {
  url: string;
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface Rendered {
  body: Buffer;
  contentType: string;
  /**
   * The ETag to send where the client's protocol fixes it (Bundler rejects a compact index
   * file whose ETag is not the quoted MD5 of its body); derived from the body otherwise.
   */
  etag?: string;
}
