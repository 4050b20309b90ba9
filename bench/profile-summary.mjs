#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (node --cpu-prof): self time by function and by file.
//   node bench/profile-summary.mjs FILE.cpuprofile [top=25]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function shortFile(url) {
  if (!url) return '(native/builtin)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + 1);
  const dist = path.indexOf('/dist/');
  if (dist >= 0) return path.slice(dist + 1);
  return path.startsWith('node:') ? path : path.split('/').slice(-3).join('/');
}

/** Package (or "pkgproxy", or "node internals") a file belongs to. */
function group(url) {
  if (!url) return '(native/builtin/gc)';
  if (url.startsWith('node:')) return 'node internals';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.includes('/dist/')) return 'pkgproxy';
  return url;
}

export function summarizeProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const intervals = profile.timeDeltas;
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (intervals[i] ?? 0)));
  let total = 0;
  const byFunction = new Map();
  const byFile = new Map();
  const byGroup = new Map();
  for (const [id, us] of self) {
    const { callFrame } = nodes.get(id);
    total += us;
    const name = callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      byGroup.set('(idle)', (byGroup.get('(idle)') ?? 0) + us);
      continue;
    }
    const where = callFrame.url ? `${shortFile(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
    const key = `${name} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byFile.set(shortFile(callFrame.url), (byFile.get(shortFile(callFrame.url)) ?? 0) + us);
    const g = name === '(garbage collector)' ? '(garbage collector)' : name === '(idle)' ? '(idle)' : name === '(program)' ? '(program)' : group(callFrame.url);
    byGroup.set(g, (byGroup.get(g) ?? 0) + us);
  }
  const idle = byGroup.get('(idle)') ?? 0;
  const busy = total - idle;
  const lines = [];
  const list = (title, map, n) => {
    lines.push(title);
    for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      lines.push(`  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
    }
  };
  lines.push(`total ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle (percentages are of the non-idle time)`);
  byGroup.delete('(idle)');
  list('self time by package:', byGroup, 15);
  list('self time by file:', byFile, top);
  list('self time by function:', byFunction, top);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/profile-summary.mjs FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeProfile(file, Number(top ?? 25))}\n`);
}
