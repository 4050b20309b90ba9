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
 *
 * Hidden versions are listed in `policyRestrictions`, which npm's version picker reads: asked
 * for exactly such a version (or a range only it satisfies), npm fails with E403 and the
 * reason, instead of "no matching version".
 */
export function renderPackument(name: string, variant: string, packument: Packument, context: RenderContext): Rendered {
  const all = rewriteTarballs(name, packument.versions ?? {}, context.mountUrl);
  const versions: Record<string, Manifest> = {};
  const restricted: Record<string, Manifest> = {};
  for (const [version, manifest] of Object.entries(all)) (context.hidden.has(version) ? restricted : versions)[version] = manifest;
  const distTags = moveDistTags(packument['dist-tags'] ?? {}, Object.keys(versions), context.hidden);
  const { time, newest } = visibleTime(packument.time, context.hidden);
  const upstreamModified = packument.time?.modified ?? packument.modified;
  const modified = context.hidden.size === 0 || upstreamModified === undefined ? upstreamModified : newest;
  const policyRestrictions = (shape: (m: Manifest) => Manifest) =>
    context.hidden.size === 0
      ? {}
      : { policyRestrictions: { versions: Object.fromEntries(Object.entries(restricted).map(([v, m]) => [v, shape(m)])), message: [...context.hidden.values()].join('\n') } };

  if (variant.startsWith('version:')) {
    const spec = variant.slice('version:'.length);
    const manifest = versions[distTags[spec] ?? spec];
    if (!manifest) throw notFound(`${name}@${spec} is not in the registry (or is hidden by policy)`);
    return json(manifest, 'application/json');
  }
  if (variant === 'abbreviated') {
    const abbreviated: Record<string, Manifest> = {};
    for (const [version, manifest] of Object.entries(versions)) abbreviated[version] = abbreviate(manifest);
    return json(
      { name, ...(modified ? { modified } : {}), 'dist-tags': distTags, versions: abbreviated, ...policyRestrictions(abbreviate) },
      'application/vnd.npm.install-v1+json',
    );
  }
  const full: Packument = { ...packument, 'dist-tags': distTags, versions, ...policyRestrictions((m) => m) };
  if (time) full.time = time;
  if ('modified' in packument) {
    if (modified) full.modified = modified;
    else delete full.modified;
  }
  return json(full, 'application/json');
}

function rewriteTarballs(name: string, all: Record<string, Manifest>, mountUrl: string): Record<string, Manifest> {
  const out: Record<string, Manifest> = {};
  for (const [version, manifest] of Object.entries(all)) {
    const tarball = manifest?.dist?.tarball;
    const file = typeof tarball === 'string' ? tarballFile(tarball) : undefined;
    out[version] = file ? { ...manifest, dist: { ...manifest.dist, tarball: `${mountUrl}${name}/-/${file}` } } : manifest;
  }
  return out;
}

/**
 * A tag on a hidden version moves to the highest visible version not above its old target,
 * and never to a prerelease unless the old target was one; with no such version it goes.
 */
export function moveDistTags(tags: Record<string, string>, visible: string[], hidden: ReadonlyMap<string, unknown>): Record<string, string> {
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

/**
 * `time` without hidden versions, and the newest remaining publish time, which becomes
 * `modified`: the document changed when its newest visible version was published.
 */
function visibleTime(time: Record<string, string> | undefined, hidden: ReadonlyMap<string, unknown>): { time?: Record<string, string>; newest?: string } {
  if (!time || hidden.size === 0) return { time };
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
  return { time: out, newest };
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
