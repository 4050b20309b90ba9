/**
 * PEP 440 versions, as far as pkgproxy needs them: one spelling per version (a wheel names
 * "1.0_post1" what its sdist names "1.0-post1" and the JSON API "1.0.post1"), so that every
 * document of a project records and hides the same version; and an order, to find the newest.
 */

const PEP440 =
  /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i;

const PRE_LABEL: Record<string, string> = { alpha: 'a', a: 'a', beta: 'b', b: 'b', c: 'rc', rc: 'rc', pre: 'rc', preview: 'rc' };

interface Version {
  epoch: number;
  release: number[];
  pre?: { label: string; number: number };
  post?: number;
  dev?: number;
  local?: string[];
}

function parse(text: string): Version | undefined {
  const m = PEP440.exec(text.trim());
  if (!m) return undefined;
  const [, epoch, release, preLabel, preNumber, postImplicit, postLabel, postNumber, devLabel, devNumber, local] = m;
  return {
    epoch: Number(epoch ?? 0),
    release: release!.split('.').map(Number),
    ...(preLabel ? { pre: { label: PRE_LABEL[preLabel.toLowerCase()]!, number: Number(preNumber ?? 0) } } : {}),
    ...(postImplicit !== undefined ? { post: Number(postImplicit) } : postLabel ? { post: Number(postNumber ?? 0) } : {}),
    ...(devLabel ? { dev: Number(devNumber ?? 0) } : {}),
    ...(local ? { local: local.toLowerCase().split(/[-_.]/) } : {}),
  };
}

/** The PEP 440 normal form ("1.0-RC1" → "1.0rc1"); a version PEP 440 cannot read is only lower-cased. */
export function normalizeVersion(text: string): string {
  const v = parse(text);
  if (!v) return text.trim().toLowerCase();
  let out = (v.epoch ? `${v.epoch}!` : '') + v.release.join('.');
  if (v.pre) out += `${v.pre.label}${v.pre.number}`;
  if (v.post !== undefined) out += `.post${v.post}`;
  if (v.dev !== undefined) out += `.dev${v.dev}`;
  if (v.local) out += `+${v.local.map((part) => (/^\d+$/.test(part) ? String(Number(part)) : part)).join('.')}`;
  return out;
}

export function isPrerelease(text: string): boolean {
  const v = parse(text);
  return v !== undefined && (v.pre !== undefined || v.dev !== undefined);
}

/** PEP 440 order; versions PEP 440 cannot read sort before all others, among themselves by text. */
export function compareVersions(a: string, b: string): number {
  const va = parse(a);
  const vb = parse(b);
  if (!va || !vb) return va ? 1 : vb ? -1 : a < b ? -1 : a > b ? 1 : 0;
  return compareKeys(sortKey(va), sortKey(vb));
}

type Key = Array<number | Key>;

/** packaging's _cmpkey: trailing zeros of the release do not count; dev < pre < final < post. */
function sortKey(v: Version): Key {
  const release = [...v.release];
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  const PRE_RANK: Record<string, number> = { a: 0, b: 1, rc: 2 };
  // A bare dev release (1.0.dev1) comes before every pre-release of 1.0.
  const pre: Key = v.pre ? [PRE_RANK[v.pre.label]!, v.pre.number] : v.post === undefined && v.dev !== undefined ? [-1] : [Infinity];
  const post: Key = v.post === undefined ? [-1] : [v.post];
  const dev: Key = v.dev === undefined ? [Infinity] : [v.dev];
  const local: Key = v.local ? v.local.map((part) => (/^\d+$/.test(part) ? [1, Number(part)] : [0, ...[...part].map((c) => c.charCodeAt(0))])) : [];
  return [v.epoch, release, pre, post, dev, local];
}

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const c = Array.isArray(x) || Array.isArray(y) ? compareKeys(Array.isArray(x) ? x : [x], Array.isArray(y) ? y : [y]) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}
