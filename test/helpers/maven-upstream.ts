import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BuiltArtifact, Coordinates } from './maven-artifacts.js';
import { listenOnLoopback, type LoopbackServer } from './http.js';

/**
 * A Maven repository for tests, laid out and answering like Maven Central: artifact-level
 * maven-metadata.xml (versions in deploy order, latest, release, lastUpdated), version-level
 * metadata for SNAPSHOTs, POMs and jars, and .sha1/.md5/.sha256/.sha512 beside every file.
 * Every file has a Last-Modified set from when it was "deployed" (relative to now, so that
 * cooldown tests are deterministic), metadata has an ETag and answers 304, and every request
 * is logged so that tests can prove what the proxy fetched.
 */

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export type Fault = '500' | 'no-last-modified';

export interface RequestLog {
  method: string;
  path: string;
}

interface File {
  bytes: Buffer;
  /** What is sent: differs from `bytes` (which the checksum files describe) for a corrupt file. */
  served: Buffer;
  deployedAt: number;
}

interface Version {
  version: string;
  deployedAt: number;
}

const CHECKSUMS = ['sha1', 'md5', 'sha256', 'sha512'] as const;

export class FakeMavenRepository {
  readonly requests: RequestLog[] = [];
  /** Faults applied to every request whose path matches. */
  readonly faults = new Map<RegExp, Fault>();
  url = '';
  private readonly files = new Map<string, File>();
  /** Versions of each "groupId:artifactId", in deploy order. */
  private readonly versions = new Map<string, Version[]>();
  private listener?: LoopbackServer;

  async start(): Promise<this> {
    this.listener = await listenOnLoopback((req, res) => this.handle(req, res));
    this.url = this.listener.url;
    return this;
  }

  async stop(): Promise<void> {
    await this.listener?.close();
  }

  /**
   * Deploys an artifact's POM and jar as of `age` ago. Deploying the same coordinates again
   * replaces the files (a SNAPSHOT rebuilt). `corrupt` serves a jar that differs from the one
   * its checksum files describe.
   */
  publish(artifact: BuiltArtifact, options: { age: number; corrupt?: boolean }): void {
    const { groupId, artifactId, version } = artifact.coordinates;
    const deployedAt = Math.floor((Date.now() - options.age) / 1000) * 1000;
    const base = `${versionDirectory(artifact.coordinates)}/${artifactId}-${version}`;
    this.files.set(`${base}.pom`, { bytes: artifact.pom, served: artifact.pom, deployedAt });
    if (artifact.jar) {
      const served = options.corrupt ? Buffer.concat([artifact.jar, Buffer.from('tampered')]) : artifact.jar;
      this.files.set(`${base}.jar`, { bytes: artifact.jar, served, deployedAt });
    }
    const key = `${groupId}:${artifactId}`;
    const list = (this.versions.get(key) ?? []).filter((v) => v.version !== version);
    list.push({ version, deployedAt });
    this.versions.set(key, list.sort((a, b) => a.deployedAt - b.deployedAt));
  }

  /** Requests whose path matches, optionally of one method. */
  count(pattern: RegExp, method?: string): number {
    return this.requests.filter((r) => pattern.test(r.path) && (method === undefined || r.method === method)).length;
  }

  /** GETs of POMs, jars and their checksum files: what a warm proxy must not ask for again. */
  fileGets(): string[] {
    return this.requests.filter((r) => r.method === 'GET' && !r.path.includes('maven-metadata.xml')).map((r) => r.path);
  }

  fileBytes(coordinates: Coordinates, extension: 'pom' | 'jar'): Buffer {
    return this.bytesAt(`${versionDirectory(coordinates)}/${coordinates.artifactId}-${coordinates.version}.${extension}`)!;
  }

  /** The bytes deployed at a path ("org/acme/lib/1.0/lib-1.0.jar"). */
  bytesAt(path: string): Buffer | undefined {
    return this.files.get(path)?.bytes;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    const method = req.method ?? 'GET';
    this.requests.push({ method, path });
    const fault = [...this.faults].find(([pattern]) => pattern.test(path))?.[1];
    if (fault === '500') return void res.writeHead(500).end('upstream broke');
    if (method !== 'GET' && method !== 'HEAD') return void res.writeHead(405).end();

    const checksum = CHECKSUMS.find((a) => path.endsWith(`.${a}`));
    const target = checksum ? path.slice(0, -checksum.length - 1) : path;
    const file = target.endsWith('/maven-metadata.xml') ? this.metadata(target) : this.files.get(target);
    if (!file) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body><h1>404 Not Found</h1></body></html>');

    const body = checksum ? Buffer.from(createHash(checksum).update(file.bytes).digest('hex')) : file.served;
    const lastModified = new Date(file.deployedAt).toUTCString();
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag || (req.headers['if-modified-since'] !== undefined && Date.parse(req.headers['if-modified-since']) >= file.deployedAt)) {
      return void res.writeHead(304, { etag, 'last-modified': lastModified }).end();
    }
    res.writeHead(200, {
      'content-type': checksum ? 'text/plain' : target.endsWith('.jar') ? 'application/java-archive' : 'text/xml',
      'content-length': body.length,
      etag,
      ...(fault === 'no-last-modified' ? {} : { 'last-modified': lastModified }),
    });
    res.end(method === 'HEAD' ? undefined : body);
  }

  /** maven-metadata.xml as Maven's deploy writes it, for an artifact or a SNAPSHOT directory. */
  private metadata(path: string): File | undefined {
    const directory = path.split('/').slice(0, -1);
    const last = directory.at(-1) ?? '';
    if (last.endsWith('-SNAPSHOT')) {
      const artifactId = directory.at(-2)!;
      const groupId = directory.slice(0, -2).join('.');
      const version = this.versions.get(`${groupId}:${artifactId}`)?.find((v) => v.version === last);
      return version && xmlFile(snapshotMetadata(groupId, artifactId, version), version.deployedAt);
    }
    const groupId = directory.slice(0, -1).join('.');
    const versions = this.versions.get(`${groupId}:${last}`);
    return versions && xmlFile(artifactMetadata(groupId, last, versions), versions.at(-1)!.deployedAt);
  }
}

function versionDirectory(c: Coordinates): string {
  return `${c.groupId.replaceAll('.', '/')}/${c.artifactId}/${c.version}`;
}

function xmlFile(text: string, deployedAt: number): File {
  const bytes = Buffer.from(text);
  return { bytes, served: bytes, deployedAt };
}

/** "yyyyMMddHHmmss" in UTC, Maven's lastUpdated. */
function lastUpdated(time: number): string {
  return new Date(time).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function artifactMetadata(groupId: string, artifactId: string, versions: Version[]): string {
  const releases = versions.filter((v) => !v.version.endsWith('-SNAPSHOT'));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<metadata>',
    `  <groupId>${groupId}</groupId>`,
    `  <artifactId>${artifactId}</artifactId>`,
    '  <versioning>',
    `    <latest>${versions.at(-1)!.version}</latest>`,
    ...(releases.length ? [`    <release>${releases.at(-1)!.version}</release>`] : []),
    '    <versions>',
    ...versions.map((v) => `      <version>${v.version}</version>`),
    '    </versions>',
    `    <lastUpdated>${lastUpdated(versions.at(-1)!.deployedAt)}</lastUpdated>`,
    '  </versioning>',
    '</metadata>',
    '',
  ].join('\n');
}

/** A SNAPSHOT deployed without unique versions (no <timestamp>): its files keep the -SNAPSHOT name. */
function snapshotMetadata(groupId: string, artifactId: string, version: Version): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<metadata modelVersion="1.1.0">',
    `  <groupId>${groupId}</groupId>`,
    `  <artifactId>${artifactId}</artifactId>`,
    `  <version>${version.version}</version>`,
    '  <versioning>',
    '    <snapshot>',
    '      <buildNumber>1</buildNumber>',
    '    </snapshot>',
    `    <lastUpdated>${lastUpdated(version.deployedAt)}</lastUpdated>`,
    '  </versioning>',
    '</metadata>',
    '',
  ].join('\n');
}
