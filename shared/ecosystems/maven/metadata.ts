import type { VersionSeen } from '../../db/versions.js';
import type { MetadataRoute, ParsedMetadata } from '../types.js';
import { isSnapshot, isValidSegment } from './coordinates.js';

/** Where an element sits in the document: [start, end) with the whitespace before it, and its text. */
export interface ElementSpan {
  value: string;
  start: number;
  end: number;
  valueStart: number;
  valueEnd: number;
}

/**
 * A maven-metadata.xml as read, with the positions render edits. The text is the body decoded
 * as latin1, byte for byte, so that whatever the document's encoding, the bytes render leaves
 * alone are the ones upstream sent.
 */
export interface MavenMetadata {
  text: string;
  /** <versioning><versions><version> in document order, which is deploy order: Maven appends. */
  versions: ElementSpan[];
  latest?: ElementSpan;
  release?: ElementSpan;
  /** Where </metadata> starts. */
  closeAt: number;
}

export class InvalidMetadata extends Error {}

/**
 * Reads a maven-metadata.xml: an artifact's versions (<versioning><versions>), a SNAPSHOT's
 * builds, or a group's plugin prefixes (no versions). Only the few elements pkgproxy needs are
 * located; the rest of the document passes through untouched.
 */
export function parseMavenMetadata(route: MetadataRoute, body: Buffer): ParsedMetadata {
  const text = body.toString('latin1');
  // Comments and CDATA keep their length, so positions in `plain` are positions in `text`.
  const plain = text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>/g, (m) => ' '.repeat(m.length));
  const open = /<metadata(?:\s[^>]*)?>/.exec(plain);
  const closeAt = plain.lastIndexOf('</metadata>');
  if (!open || closeAt < open.index) throw new InvalidMetadata(`${route.upstreamPath} is not a maven-metadata.xml document`);
  const inner = { from: open.index + open[0].length, to: closeAt };

  const versioning = findBlock(plain, 'versioning', inner);
  const plugins = findBlock(plain, 'plugins', inner);
  const topLevel = blank(blank(plain, versioning), plugins);
  checkIdentity(route, topLevel, inner);

  const versionsBlock = versioning && findBlock(plain, 'versions', versioning);
  const versions = versionsBlock ? findElements(plain, 'version', versionsBlock) : [];
  const document: MavenMetadata = {
    text,
    versions,
    ...optional('latest', versioning && findElements(plain, 'latest', versioning)[0]),
    ...optional('release', versioning && findElements(plain, 'release', versioning)[0]),
    closeAt,
  };
  return { package: route.package, versions: versionsSeen(route, versions), artifacts: [], document };
}

/** The SNAPSHOT whose builds a version-level document lists ("1.1-SNAPSHOT"), if it is one. */
export function snapshotOf(route: MetadataRoute): string | undefined {
  const directory = route.upstreamPath.split('/').slice(0, -1);
  const last = directory.at(-1)!;
  return directory.length >= 3 && isSnapshot(last) ? last : undefined;
}

/**
 * The versions policy judges: a version-level document stands for its SNAPSHOT; an
 * artifact's, for every listed version that is a valid path segment (others could never be
 * downloaded through the proxy, and render leaves them out).
 */
function versionsSeen(route: MetadataRoute, versions: ElementSpan[]): VersionSeen[] {
  const snapshot = snapshotOf(route);
  const names = snapshot ? [snapshot] : [...new Set(versions.map((v) => v.value).filter(isValidSegment))];
  return names.map((version) => ({ version, publishedAt: null, yanked: false }));
}

/** A document that names an artifact must name the one asked for. */
function checkIdentity(route: MetadataRoute, topLevel: string, inner: Range): void {
  const artifactId = findElements(topLevel, 'artifactId', inner)[0]?.value;
  if (artifactId === undefined) return;
  const groupId = findElements(topLevel, 'groupId', inner)[0]?.value;
  const named = `${groupId ?? '?'}:${artifactId}`;
  if (named !== route.package) throw new InvalidMetadata(`upstream answered the metadata of ${named} when asked for ${route.package}`);
  const version = findElements(topLevel, 'version', inner)[0]?.value;
  const snapshot = snapshotOf(route);
  if (snapshot !== undefined && version !== undefined && version !== snapshot) {
    throw new InvalidMetadata(`upstream answered the metadata of ${named}:${version} when asked for ${route.package}:${snapshot}`);
  }
}

interface Range {
  from: number;
  to: number;
}

/** The inside of the first <name>…</name> within range. */
function findBlock(plain: string, name: string, within: Range): Range | undefined {
  const pattern = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g');
  pattern.lastIndex = within.from;
  const match = pattern.exec(plain);
  if (!match || match.index + match[0].length > within.to) return undefined;
  const from = match.index + name.length + 2;
  return { from, to: from + match[1]!.length };
}

/** Every <name>text</name> within range, with the whitespace before it. */
function findElements(plain: string, name: string, within: Range): ElementSpan[] {
  const pattern = new RegExp(`(\\s*)<${name}>(\\s*)([^<]*?)\\s*</${name}>`, 'g');
  pattern.lastIndex = within.from;
  const found: ElementSpan[] = [];
  for (let match = pattern.exec(plain); match && match.index + match[0].length <= within.to; match = pattern.exec(plain)) {
    const valueStart = match.index + match[1]!.length + name.length + 2 + match[2]!.length;
    found.push({ value: match[3]!, start: match.index, end: match.index + match[0].length, valueStart, valueEnd: valueStart + match[3]!.length });
  }
  return found;
}

function blank(plain: string, range: Range | undefined): string {
  return range ? plain.slice(0, range.from) + ' '.repeat(range.to - range.from) + plain.slice(range.to) : plain;
}

function optional<K extends string>(key: K, span: ElementSpan | undefined): { [P in K]?: ElementSpan } {
  return (span ? { [key]: span } : {}) as { [P in K]?: ElementSpan };
}
