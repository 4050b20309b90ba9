/**
 * Private module patterns, written like GOPRIVATE: globs in Go's path.Match syntax ("*", "?",
 * "[a-z]", "\" escapes; none of them matches "/"), each matched against as many leading
 * elements of a module path as it has itself, so "github.com/acme/*" matches
 * "github.com/acme/tool/v2" and "*.corp.example.com" matches "git.corp.example.com/x".
 */

interface PrivatePattern {
  glob: string;
  elements: number;
  regex: RegExp;
}

export type PrivateMatcher = (modulePath: string) => string | undefined;

/** Returns a function naming the first pattern a module path matches. Throws on a malformed glob. */
export function privateMatcher(globs: readonly string[]): PrivateMatcher {
  const patterns: PrivatePattern[] = globs
    .map((glob) => glob.replace(/\/$/, ''))
    .filter((glob) => glob !== '')
    .map((glob) => ({ glob, elements: glob.split('/').length, regex: globToRegExp(glob) }));
  return (modulePath) => {
    const elements = modulePath.split('/');
    for (const pattern of patterns) {
      if (elements.length < pattern.elements) continue;
      if (pattern.regex.test(elements.slice(0, pattern.elements).join('/'))) return pattern.glob;
    }
    return undefined;
  };
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= glob.length) throw new Error(`pattern ${JSON.stringify(glob)} ends with an unfinished "\\" escape`);
      source += escapeChar(glob[++i]!);
    } else if (c === '[') {
      const end = classEnd(glob, i);
      source += `(?!/)${classToRegExp(glob.slice(i + 1, end), glob)}`;
      i = end;
    } else source += escapeChar(c);
  }
  return new RegExp(`^${source}$`);
}

/** Index of the "]" closing the class opened at `open`. */
function classEnd(glob: string, open: number): number {
  for (let i = open + 1; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === ']' && i > open + 1 + (glob[open + 1] === '^' ? 1 : 0)) return i;
  }
  throw new Error(`pattern ${JSON.stringify(glob)} has an unclosed "["`);
}

function classToRegExp(body: string, glob: string): string {
  const negated = body.startsWith('^');
  const parts: string[] = [];
  for (let i = negated ? 1 : 0; i < body.length; i++) {
    const lo = body[i] === '\\' ? body[++i]! : body[i]!;
    if (body[i + 1] !== '-' || i + 2 >= body.length) {
      parts.push(escapeChar(lo));
      continue;
    }
    i += 2;
    const hi = body[i] === '\\' ? body[++i]! : body[i]!;
    if (hi < lo) throw new Error(`pattern ${JSON.stringify(glob)} has a backwards range ${lo}-${hi}`);
    parts.push(`${escapeChar(lo)}-${escapeChar(hi)}`);
  }
  return `[${negated ? '^' : ''}${parts.join('')}]`;
}

function escapeChar(c: string): string {
  return /[A-Za-z0-9]/.test(c) ? c : `\\${c}`;
}
