import semver from 'semver';
import { notFound } from '../../http-error.js';
import type { RenderContext, Rendered } from '../types.js';
import { tarballFile, type Manifest, type Packument } from './packument.js';

/** Fields of a version manifest that the abbreviated ("corgi") form keeps. */
const ABBREVIATED_FIELDS = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'bundleDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'acceptDependencies',
  'bin',
  'directories',
  'dist',
  'engines',
  'cpu',
  'os',
  'libc',
  'funding',
  'license',
  '_hasShrinkwrap',
  'hasInstallScript',
] as const;

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

/**
 * Renders a packument for a client: hidden versions removed from `versions` and `time`,
 * dist-tags moved off hidden versions, `modified` matching what remains, tarball URLs
 * pointing at the proxy. variant is "full", "abbreviated" or "version:<version-or-tag>".
 */
export function renderPackument(name: string, variant: string, packument: Packument, context: RenderContext): Rendered {
  const versions = visibleManifests(name, packument.versions ?? {}, context);
  const distTags = moveDistTags(packument['dist-tags'] ?? {}, Object.keys(versions), context.hidden);
  const time = visibleTime(packument.time, context.hidden);

  if (variant.startsWith('version:')) {
    const spec = variant.slice('version:'.length);
    const manifest = versions[distTags[spec] ?? spec];
    if (!manifest) throw notFound(`${name}@${spec} is not in the registry (or is hidden by policy)`);
    return json(manifest, 'application/json');
  }
  if (variant === 'abbreviated') {
    const abbreviated: Record<string, Manifest> = {};
    for (const [version, manifest] of Object.entries(versions)) abbreviated[version] = abbreviate(manifest);
    const modified = time?.modified ?? packument.modified;
    return json({ name, ...(modified ? { modified } : {}), 'dist-tags': distTags, versions: abbreviated }, 'application/vnd.npm.install-v1+json');
  }
  const full: Packument = { ...packument, 'dist-tags': distTags, versions };
  if (time) full.time = time;
  if (context.hidden.size > 0 && typeof packument.modified === 'string' && time?.modified) full.modified = time.modified;
  return json(full, 'application/json');
}

function visibleManifests(name: string, all: Record<string, Manifest>, context: RenderContext): Record<string, Manifest> {
  const out: Record<string, Manifest> = {};
  for (const [version, manifest] of Object.entries(all)) {
    if (context.hidden.has(version)) continue;
    const tarball = manifest?.dist?.tarball;
    const file = typeof tarball === 'string' ? tarballFile(tarball) : undefined;
    out[version] = file ? { ...manifest, dist: { ...manifest.dist, tarball: `${context.mountUrl}${name}/-/${file}` } } : manifest;
  }
  return out;
}

/**
 * A tag on a hidden version moves to the highest visible version not above its old target,
 * and never to a prerelease unless the old target was one; with no such version it goes.
 */
export function moveDistTags(tags: Record<string, string>, visible: string[], hidden: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tag, target] of Object.entries(tags)) {
    if (!hidden.has(target)) {
      out[tag] = target;
      continue;
    }
    const targetIsPrerelease = semver.prerelease(target) !== null;
    let best: string | undefined;
    for (const v of visible) {
      if (!semver.valid(v) || !semver.valid(target) || semver.gt(v, target)) continue;
      if (!targetIsPrerelease && semver.prerelease(v) !== null) continue;
      if (best === undefined || semver.gt(v, best)) best = v;
    }
    if (best !== undefined) out[tag] = best;
  }
  return out;
}

/** `time` without hidden versions; `modified` becomes the newest remaining publish time. */
function visibleTime(time: Record<string, string> | undefined, hidden: ReadonlySet<string>): Record<string, string> | undefined {
  if (!time || hidden.size === 0) return time;
  const out: Record<string, string> = {};
  let newest: string | undefined;
  let newestMs = -Infinity;
  for (const [key, value] of Object.entries(time)) {
    if (hidden.has(key)) continue;
    out[key] = value;
    if (key === 'created' || key === 'modified') continue;
    const ms = Date.parse(value);
    if (ms > newestMs) {
      newestMs = ms;
      newest = value;
    }
  }
  if ('modified' in time) {
    if (newest !== undefined) out.modified = newest;
    else delete out.modified;
  }
  return out;
}

function abbreviate(manifest: Manifest): Manifest {
  const out: Record<string, unknown> = {};
  for (const field of ABBREVIATED_FIELDS) {
    if (manifest[field] !== undefined) out[field] = manifest[field];
  }
  if (out.hasInstallScript === undefined) {
    const scripts = manifest.scripts as Record<string, unknown> | undefined;
    if (scripts && INSTALL_SCRIPTS.some((s) => typeof scripts[s] === 'string')) out.hasInstallScript = true;
  }
  return out as Manifest;
}

function json(value: unknown, contentType: string): Rendered {
  return { body: Buffer.from(JSON.stringify(value)), contentType };
}
