// Tables (Markdown, so that a run can be pasted into the README) with ratios and targets.

export const TARGETS = {
  tarball: { ratio: 0.5, text: 'pkgproxy req/s >= 0.5 x nginx' },
  packument: { ratio: 0.5, text: 'pkgproxy req/s (cooldown applied) >= 0.5 x nginx (raw packument)' },
  artifact: { ratio: 0.8, rssMB: 250, text: 'pkgproxy MB/s >= 0.8 x nginx at 1 and 4 clients, peak RSS < 250 MB' },
  ciWarm: { ratio: 1.1, text: 'pkgproxy time <= 1.1 x nginx' },
  ciCold: { ratio: 1.1, text: 'pkgproxy time <= 1.1 x upstream directly, one upstream tarball request per artifact' },
};

const fmt = (value, digits = 0) => {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  if (Math.abs(value) >= 100 || digits === 0) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
};
const fmtMs = (value) => (value === undefined || Number.isNaN(value) ? '–' : value >= 100 ? fmt(value) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const ratio = (a, b) => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? undefined : a / b);
const fmtRatio = (r) => (r === undefined ? '–' : r >= 10 ? `${r.toFixed(0)}x` : r >= 1 ? `${r.toFixed(2)}x` : r.toFixed(2));

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A measurement that failed (non-2xx answers, socket errors, npm failing) is not a number. */
function usable(m) {
  return m && !m.error && !(m.non2xx > 0) && !(m.errors && m.errors.timeout + m.errors.read + m.errors.connect > 0 && m.requests === 0);
}

function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

function verdict(pass) {
  return pass === undefined ? 'n/a' : pass ? 'PASS' : '**MISS**';
}

/** Evaluates every target; returns { tables: string, verdicts: [...] }. */
export function buildReport(results) {
  const out = [];
  const verdicts = [];
  const warm = results.warm ?? [];
  const names = { packument: 'packument ~1 MB, cooldown applied', tarball: 'tarball 20 KB', artifact: 'artifact 1 GB' };

  const find = (workload, connections, target) => warm.find((m) => m.workload === workload && m.connections === connections && m.target === target);

  for (const workload of ['packument', 'tarball']) {
    const conns = [...new Set(warm.filter((m) => m.workload === workload).map((m) => m.connections))].sort((a, b) => a - b);
    if (conns.length === 0) continue;
    const rows = [];
    for (const c of conns) {
      const [pp, vd, ng] = ['pkgproxy', 'verdaccio', 'nginx'].map((t) => find(workload, c, t));
      const cell = (m, f) => (m ? (usable(m) ? f(m) : `failed${m.non2xx ? ` (${m.non2xx} non-2xx)` : ''}`) : '–');
      const rNginx = usable(pp) && usable(ng) ? ratio(pp.rps, ng.rps) : undefined;
      const rVerd = usable(pp) && usable(vd) ? ratio(pp.rps, vd.rps) : undefined;
      const pass = rNginx === undefined ? undefined : rNginx >= TARGETS[workload].ratio;
      verdicts.push({ target: `${workload} c=${c}`, goal: TARGETS[workload].text, value: rNginx, pass });
      rows.push([
        `${c}`,
        cell(pp, (m) => fmt(m.rps)),
        cell(vd, (m) => fmt(m.rps)),
        cell(ng, (m) => fmt(m.rps)),
        fmtRatio(rNginx),
        fmtRatio(rVerd),
        [pp, vd, ng].map((m) => (usable(m) ? fmtMs(m.p50ms) : '–')).join(' / '),
        [pp, vd, ng].map((m) => (usable(m) ? fmtMs(m.p99ms) : '–')).join(' / '),
        `≥ ${TARGETS[workload].ratio} ${verdict(pass)}`,
      ]);
    }
    out.push(`**Warm hits: ${names[workload]}** (requests/s; latency in ms as pkgproxy / Verdaccio / nginx)\n`);
    out.push(table(['clients', 'pkgproxy req/s', 'Verdaccio req/s', 'nginx req/s', 'pkgproxy/nginx', 'pkgproxy/Verdaccio', 'p50 ms', 'p99 ms', 'target pkgproxy/nginx'], rows));
    out.push('');
  }

  {
    const conns = [...new Set(warm.filter((m) => m.workload === 'artifact').map((m) => m.connections))].sort((a, b) => a - b);
    if (conns.length) {
      const rows = [];
      for (const c of conns) {
        const [pp, vd, ng] = ['pkgproxy', 'verdaccio', 'nginx'].map((t) => find('artifact', c, t));
        const cell = (m, f) => (m ? (usable(m) ? f(m) : 'failed') : '–');
        const rNginx = usable(pp) && usable(ng) ? ratio(pp.mbps, ng.mbps) : undefined;
        const rVerd = usable(pp) && usable(vd) ? ratio(pp.mbps, vd.mbps) : undefined;
        const rssOk = pp?.peakRssMB == null ? undefined : pp.peakRssMB < TARGETS.artifact.rssMB;
        const pass = rNginx === undefined ? undefined : rNginx >= TARGETS.artifact.ratio && rssOk !== false;
        verdicts.push({ target: `artifact c=${c}`, goal: TARGETS.artifact.text, value: rNginx, rssMB: pp?.peakRssMB, pass });
        rows.push([
          `${c}`,
          cell(pp, (m) => fmt(m.mbps)),
          cell(vd, (m) => fmt(m.mbps)),
          cell(ng, (m) => fmt(m.mbps)),
          fmtRatio(rNginx),
          fmtRatio(rVerd),
          [pp, vd, ng].map((m) => (usable(m) ? fmtMs(m.p50ms) : '–')).join(' / '),
          [pp, vd, ng].map((m) => (m?.peakRssMB == null ? '–' : fmt(m.peakRssMB))).join(' / '),
          `≥ 0.8, RSS < 250 ${verdict(pass)}`,
        ]);
      }
      out.push(`**Warm hits: ${names.artifact}** (MiB/s; p50 = time for one whole download; peak RSS during the run, pkgproxy / Verdaccio / nginx)\n`);
      out.push(table(['clients', 'pkgproxy MiB/s', 'Verdaccio MiB/s', 'nginx MiB/s', 'pkgproxy/nginx', 'pkgproxy/Verdaccio', 'p50 ms', 'peak RSS MB', 'target'], rows));
      out.push('');
    }
  }

  const ci = results.ci ?? {};
  if (ci.warm || ci.cold || ci.coldRunning) {
    const rows = [];
    const med = (phase, t) => median((ci[phase]?.[t] ?? []).filter((r) => r.ok).map((r) => r.seconds));
    const failed = (phase, t) => (ci[phase]?.[t] ?? []).some((r) => !r.ok);
    const cell = (phase, t) => {
      if (!ci[phase]?.[t]) return '–';
      const m = med(phase, t);
      return `${fmt(m, 2)}${failed(phase, t) ? ' (failures)' : ''}`;
    };
    if (ci.warm) {
      const r = ratio(med('warm', 'pkgproxy'), med('warm', 'nginx'));
      const pass = r === undefined || failed('warm', 'pkgproxy') ? (failed('warm', 'pkgproxy') ? false : undefined) : r <= TARGETS.ciWarm.ratio;
      verdicts.push({ target: 'npm ci warm', goal: TARGETS.ciWarm.text, value: r, pass });
      rows.push(['warm', '–', cell('warm', 'pkgproxy'), cell('warm', 'verdaccio'), cell('warm', 'nginx'), fmtRatio(r), fmtRatio(ratio(med('warm', 'pkgproxy'), med('warm', 'verdaccio'))), '–', '–', `≤ 1.1 x nginx ${verdict(pass)}`]);
    }
    // The target is judged on a freshly started proxy; the running-process row shows how much of
    // the difference is a new process warming up.
    for (const [phase, label, judged] of [
      ['cold', 'cold', true],
      ['coldRunning', 'cold, proxy running before', false],
    ]) {
      if (!ci[phase]) continue;
      const r = ratio(med(phase, 'pkgproxy'), med(phase, 'direct'));
      const up = results.upstreamCold?.[phase] ?? {};
      const ppUp = up.pkgproxy?.at(-1);
      const oneRequest = ppUp ? ppUp.tarball <= results.artifactCount : undefined;
      const pass = failed(phase, 'pkgproxy') ? false : r === undefined ? undefined : r <= TARGETS.ciCold.ratio && oneRequest !== false;
      if (judged) verdicts.push({ target: 'npm ci cold', goal: TARGETS.ciCold.text, value: r, pass, upstreamTarballRequests: ppUp?.tarball });
      const upCell = (t) => {
        const u = up[t]?.at(-1);
        return u ? `${u.tarball} + ${u.packument}` : '–';
      };
      rows.push([
        `${label} (+${results.options?.latencyMs ?? '?'} ms upstream)`,
        cell(phase, 'direct'),
        cell(phase, 'pkgproxy'),
        cell(phase, 'verdaccio'),
        cell(phase, 'nginx'),
        fmtRatio(ratio(med(phase, 'pkgproxy'), med(phase, 'nginx'))),
        fmtRatio(ratio(med(phase, 'pkgproxy'), med(phase, 'verdaccio'))),
        fmtRatio(r),
        ['direct', 'pkgproxy', 'verdaccio', 'nginx'].map(upCell).join(' / '),
        judged ? `≤ 1.1 x direct ${verdict(pass)}` : `(not judged: ${verdict(pass).replaceAll('*', '')} by the same measure)`,
      ]);
    }
    out.push(`**npm ci of ${results.artifactCount} packages** (seconds, median of the runs; upstream requests as tarballs + packuments, direct / pkgproxy / Verdaccio / nginx)\n`);
    out.push(table(['install', 'upstream directly', 'pkgproxy', 'Verdaccio', 'nginx', 'pkgproxy/nginx', 'pkgproxy/Verdaccio', 'pkgproxy/direct', 'upstream requests', 'target'], rows));
    out.push('');
  }

  if (results.rss && Object.keys(results.rss).length) {
    const groups = [...new Set(Object.values(results.rss).flatMap((byGroup) => Object.keys(byGroup)))];
    const rows = ['pkgproxy', 'verdaccio', 'nginx']
      .filter((t) => results.rss[t])
      .map((t) => [{ pkgproxy: 'pkgproxy', verdaccio: 'Verdaccio', nginx: 'nginx (all processes)' }[t], ...groups.map((g) => fmt(results.rss[t][g]))]);
    out.push('**Peak RSS (MB)** per workload, and over the whole run\n');
    out.push(table(['process', ...groups], rows));
    out.push('');
  }

  return { markdown: out.join('\n'), verdicts };
}
