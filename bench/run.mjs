#!/usr/bin/env node
// pkgproxy benchmark: pkgproxy against Verdaccio and nginx proxy_cache on the same workloads,
// all fronting one fake upstream on loopback. `npm run bench -- --help` for the options.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BIG, buildUniverse, ensureHugeArtifact, HUGE, HUGE_VERSION, LOCKED_VERSION, lockfilePackages, PACKAGE_COUNT, pkgName, projectFiles } from './lib/fixtures.mjs';
import { cleanEnv, timeNpmCi } from './lib/npm.mjs';
import { httpGet, killChildren, run } from './lib/procs.mjs';
import { buildReport } from './lib/report.mjs';
import { DirectTarget, ExternalTarget, NginxTarget, PkgproxyTarget, tempRoot, VerdaccioTarget } from './lib/targets.mjs';
import { FakeUpstream } from './lib/upstream.mjs';
import { runWrk } from './lib/wrk.mjs';
import { summarizeProfile } from './profile-summary.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH, '..');
const TOOLS = join(BENCH, '.tools');
const WORKLOADS = ['packument', 'tarball', 'artifact', 'ci-warm', 'ci-cold', 'ci-cold-running'];
const SYSTEMS = ['pkgproxy', 'verdaccio', 'nginx'];

const USAGE = `usage: npm run bench -- [options]

Measures pkgproxy against Verdaccio 6.8.0 and nginx proxy_cache, all in front of the same
local fake npm registry, and prints ratios. Installs what it needs on first run (Verdaccio into
bench/.tools/, nginx and wrk with apt-get). Results: bench/results/<timestamp>.json and .md.

  --only LIST               workloads: ${WORKLOADS.join(',')} (default: all)
  --targets LIST            systems: ${SYSTEMS.join(',')} (default: all)
  --duration 5s             length of each wrk run
  --connections 1,16,64     concurrent clients for packument and tarball hits
  --artifact-connections 1,4
  --artifact-duration 10s   length of each 1 GB artifact run (one download takes 0.3–1 s)
  --wrk-runs 3              runs of each wrk cell per system, taken in turns across the
                            systems; the one with the median rate is reported (a noisy VM)
  --ci-runs 3               warm npm ci runs per system (median reported)
  --cold-runs 2             cold npm ci runs per system, each against a fresh cache
                            (ci-cold-running: in a proxy that has run one cold install)
  --latency 50ms            delay the fake upstream adds to every request
  --cooldown 3d             pkgproxy's npm cooldown (some fake versions are younger)
  --pkgproxy-dir DIR        pkgproxy checkout to run (default: this one); built first
  --no-build                use DIR/dist as it is
  --label TEXT              what pkgproxy version this is, when DIR is not a git checkout
  --pkgproxy-env K=V        extra environment for the pkgproxy the bench starts (repeatable),
                            e.g. cluster backends; "{n}" becomes a number unique to each start,
                            "{g}" the start's number in this run (1, 2, ...)
  --pkgproxy-url URL        use an already running pkgproxy (e.g. a cluster) at this npm
                            registry URL (…/npm/) instead of starting one; see README
  --pkgproxy-pids LIST      pids of that deployment's processes on this machine, for RSS
  --upstream-listen H:P     where the fake upstream listens (default 127.0.0.1:random)
  --upstream-url URL        the upstream's URL as the external pkgproxy reaches it
  --profile                 run pkgproxy under node --cpu-prof; prints the hotspots
  --log-level LEVEL         pkgproxy's log level (default info, as deployed)
  --wait-idle 0             wait up to this many seconds for the 1-minute load average to
                            drop below 0.5 before starting (a shared machine)
  --keep                    keep the temporary directories (caches, logs)
  --no-install              do not install missing tools
`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      targets: { type: 'string' },
      duration: { type: 'string', default: '5s' },
      connections: { type: 'string', default: '1,16,64' },
      'artifact-connections': { type: 'string', default: '1,4' },
      'artifact-duration': { type: 'string', default: '10s' },
      'ci-runs': { type: 'string', default: '3' },
      'cold-runs': { type: 'string', default: '2' },
      'wrk-runs': { type: 'string', default: '3' },
      latency: { type: 'string', default: '50ms' },
      cooldown: { type: 'string', default: '3d' },
      'pkgproxy-dir': { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      label: { type: 'string' },
      'pkgproxy-env': { type: 'string', multiple: true, default: [] },
      'pkgproxy-url': { type: 'string' },
      'pkgproxy-pids': { type: 'string' },
      'upstream-listen': { type: 'string', default: '127.0.0.1:0' },
      'upstream-url': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
      keep: { type: 'boolean', default: false },
      'wait-idle': { type: 'string', default: '0' },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const list = (text, allowed, what) => {
    const items = text.split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) if (allowed && !allowed.includes(item)) throw new Error(`unknown ${what} ${JSON.stringify(item)}; one of ${allowed.join(', ')}`);
    return items;
  };
  const seconds = (text) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
    if (!match) throw new Error(`invalid duration ${text}`);
    return Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2] ?? 's'];
  };
  const [host, port] = values['upstream-listen'].split(':');
  return {
    only: values.only ? list(values.only, WORKLOADS, 'workload') : WORKLOADS,
    targets: values.targets ? list(values.targets, SYSTEMS, 'target') : SYSTEMS,
    durationS: seconds(values.duration),
    connections: list(values.connections).map(Number),
    artifactConnections: list(values['artifact-connections']).map(Number),
    artifactDurationS: seconds(values['artifact-duration']),
    ciRuns: Number(values['ci-runs']),
    coldRuns: Number(values['cold-runs']),
    wrkRuns: Number(values['wrk-runs']),
    latencyMs: Math.round(seconds(values.latency) * 1000),
    cooldown: values.cooldown,
    pkgproxyDir: resolve(values['pkgproxy-dir'] ?? REPO),
    build: !values['no-build'],
    label: values.label,
    pkgproxyUrl: values['pkgproxy-url'],
    pkgproxyEnv: Object.fromEntries(
      values['pkgproxy-env'].map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`--pkgproxy-env wants KEY=VALUE, got ${JSON.stringify(pair)}`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
    pkgproxyPids: values['pkgproxy-pids'] ? list(values['pkgproxy-pids']).map(Number) : [],
    upstreamHost: host || '127.0.0.1',
    upstreamPort: Number(port ?? 0),
    upstreamUrl: values['upstream-url'],
    profile: values.profile,
    logLevel: values['log-level'],
    keep: values.keep,
    waitIdleS: Number(values['wait-idle']),
    install: !values['no-install'],
  };
}

const started = Date.now();
const log = (message) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);

function which(command) {
  try {
    return execFileSync('sh', ['-c', `command -v ${command} || { test -x /usr/sbin/${command} && echo /usr/sbin/${command}; }`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function aptInstall(packages) {
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const cmd = (args) => (asRoot.length ? run(asRoot[0], [...asRoot.slice(1), ...args], { env: { ...cleanEnv(), DEBIAN_FRONTEND: 'noninteractive' } }) : run(args[0], args.slice(1), { env: { ...cleanEnv(), DEBIAN_FRONTEND: 'noninteractive' } }));
  log(`installing ${packages.join(' ')} with apt-get`);
  const update = await cmd(['apt-get', 'update', '-qq']);
  if (update.code !== 0) throw new Error(`apt-get update failed: ${update.stderr}`);
  const install = await cmd(['apt-get', 'install', '-y', '-qq', ...packages]);
  if (install.code !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed: ${install.stderr}`);
}

/** wrk and nginx from Debian, Verdaccio 6.8.0 from npm into bench/.tools/verdaccio. */
async function ensureTools(options) {
  const needNginx = options.targets.includes('nginx');
  const needVerdaccio = options.targets.includes('verdaccio');
  const needWrk = options.only.some((w) => ['packument', 'tarball', 'artifact'].includes(w));
  const missing = [];
  if (needWrk && !which('wrk')) missing.push('wrk');
  if (needNginx && !which('nginx')) missing.push('nginx');
  if (missing.length) {
    if (!options.install) throw new Error(`missing: ${missing.join(', ')} (run without --no-install, or apt-get install ${missing.join(' ')})`);
    await aptInstall(missing);
  }
  const tools = { nginxBin: needNginx ? which('nginx') : undefined };
  if (needVerdaccio) {
    const dir = join(TOOLS, 'verdaccio');
    const wanted = readFileSync(join(BENCH, 'verdaccio/package-lock.json'), 'utf8');
    const installed = join(dir, 'node_modules/verdaccio/package.json');
    const current = existsSync(installed) && existsSync(join(dir, 'package-lock.json')) ? readFileSync(join(dir, 'package-lock.json'), 'utf8') : '';
    if (current !== wanted) {
      if (!options.install) throw new Error('Verdaccio is not installed in bench/.tools/verdaccio (run without --no-install)');
      log('installing Verdaccio 6.8.0 into bench/.tools/verdaccio');
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(BENCH, 'verdaccio/package.json'), join(dir, 'package.json'));
      copyFileSync(join(BENCH, 'verdaccio/package-lock.json'), join(dir, 'package-lock.json'));
      const result = await run('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, env: cleanEnv() });
      if (result.code !== 0) throw new Error(`npm ci of Verdaccio failed:\n${result.stderr}`);
    }
    tools.verdaccioVersion = JSON.parse(readFileSync(installed, 'utf8')).version;
  }
  if (needNginx) tools.nginxVersion = (await run(tools.nginxBin, ['-v'])).stderr.trim();
  tools.wrkVersion = needWrk ? (await run('wrk', ['-v'])).stdout.split('\n')[0].trim() : undefined;
  return tools;
}

async function buildPkgproxy(options) {
  if (options.pkgproxyUrl || !options.targets.includes('pkgproxy')) return undefined;
  if (options.build) {
    log(`building pkgproxy in ${options.pkgproxyDir}`);
    const result = await run('npm', ['run', 'build'], { cwd: options.pkgproxyDir, env: cleanEnv() });
    if (result.code !== 0) throw new Error(`npm run build failed in ${options.pkgproxyDir}:\n${result.stdout}\n${result.stderr}`);
  }
  if (!existsSync(join(options.pkgproxyDir, 'dist/services/cli/main.js'))) throw new Error(`no ${options.pkgproxyDir}/dist: build it first`);
  if (options.label) return options.label;
  const git = await run('git', ['-C', options.pkgproxyDir, 'describe', '--always', '--dirty'], {});
  return git.code === 0 ? git.stdout.trim() : undefined;
}

/** Workload URLs on one registry and the headers a client sends. */
function workloadRequest(workload, registryUrl) {
  switch (workload) {
    case 'packument':
      return { url: `${registryUrl}${BIG}`, headers: { accept: 'application/json' } };
    case 'tarball': {
      const name = pkgName(5);
      return { url: `${registryUrl}${name}/-/${name}-${LOCKED_VERSION}.tgz`, headers: {} };
    }
    case 'artifact':
      return { url: `${registryUrl}${HUGE}/-/${HUGE}-${HUGE_VERSION}.tgz`, headers: {} };
  }
  throw new Error(workload);
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.waitIdleS > 0) {
    const deadline = Date.now() + options.waitIdleS * 1000;
    while (loadavg()[0] >= 0.5 && Date.now() < deadline) {
      log(`waiting for the machine to be idle (load ${loadavg()[0].toFixed(2)})`);
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    }
  }
  const load = loadavg();
  log(`load average ${load.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores${load[0] > 0.5 ? ' — the machine is busy: numbers will be noisy' : ''}`);
  const tools = await ensureTools(options);
  const pkgproxyVersion = await buildPkgproxy(options);

  const wantsArtifact = options.only.includes('artifact');
  const huge = wantsArtifact ? await ensureHugeArtifact(join(TOOLS, 'fixtures'), log) : undefined;
  log('building the fake registry (300 packages, a ~1 MB packument)');
  const packages = buildUniverse({ hugeArtifact: huge });
  // ci-cold-running installs the lockfile under other names: one warm-up and one measured set per run.
  const runningPrefixes = (r) => ({ warmup: `bench-warmup${r}`, measured: `bench-cold${r}` });
  if (options.only.includes('ci-cold-running')) {
    for (let r = 0; r < options.coldRuns; r++) for (const prefix of Object.values(runningPrefixes(r))) for (const [name, pkg] of lockfilePackages(prefix)) packages.set(name, pkg);
  }
  const upstream = await new FakeUpstream(packages).start(options.upstreamHost, options.upstreamPort);
  if (options.upstreamUrl) upstream.setPublicUrl(options.upstreamUrl);
  log(`fake upstream at ${upstream.url}`);

  const tmp = tempRoot(join(TOOLS, 'tmp'));
  const targetOptions = {
    tmp,
    keep: options.keep,
    upstreamUrl: options.upstreamUrl ?? upstream.url,
    cooldown: options.cooldown,
    logLevel: options.logLevel,
    extraEnv: options.pkgproxyEnv,
    pkgproxyDir: options.pkgproxyDir,
    toolsDir: TOOLS,
    nginxBin: tools.nginxBin,
    profileDir: options.profile ? join(BENCH, 'results', `profile-${stamp()}`) : undefined,
  };
  const systems = {};
  if (options.targets.includes('pkgproxy')) {
    systems.pkgproxy = options.pkgproxyUrl ? new ExternalTarget({ ...targetOptions, url: options.pkgproxyUrl, pids: options.pkgproxyPids }) : new PkgproxyTarget(targetOptions);
  }
  if (options.targets.includes('verdaccio')) systems.verdaccio = new VerdaccioTarget(targetOptions);
  if (options.targets.includes('nginx')) systems.nginx = new NginxTarget(targetOptions);
  const direct = new DirectTarget(targetOptions);

  const results = {
    meta: {
      date: new Date().toISOString(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadBefore: load,
      node: process.version,
      pkgproxy: options.pkgproxyUrl ? `external ${options.pkgproxyUrl}` : pkgproxyVersion,
      verdaccio: tools.verdaccioVersion,
      nginx: tools.nginxVersion,
      wrk: tools.wrkVersion,
      npm: (await run('npm', ['-v'], { env: cleanEnv() })).stdout.trim(),
    },
    options: { ...options },
    artifactCount: PACKAGE_COUNT,
    warm: [],
    ci: {},
    upstreamCold: {},
    upstreamWarm: {},
    rss: {},
  };
  const rssOf = (key, group, value) => {
    if (value == null) return;
    results.rss[key] ??= {};
    results.rss[key][group] = Math.max(results.rss[key][group] ?? 0, value);
  };

  const project = (registryUrl) => projectFiles(packages, registryUrl);

  try {
    // Cold npm ci: every system from an empty cache, the upstream 50 ms away.
    const coldInstall = async (phase, target, prefix) => {
      upstream.resetCounts();
      target.meter.begin();
      const { packageJson, lockfile } = projectFiles(packages, target.registryUrl, prefix);
      const outcome = await timeNpmCi({ root: tmp, registryUrl: target.registryUrl, packageJson, lockfile, label: target.key });
      const usage = target.meter.end();
      const counts = upstream.snapshot();
      (results.ci[phase][target.key] ??= []).push({ ...outcome, ...usage, upstream: counts, load1: loadavg()[0] });
      ((results.upstreamCold[phase] ??= {})[target.key] ??= []).push(counts);
      rssOf(target.key, 'npm ci cold', usage.peakRssMB);
      log(`${phase} npm ci via ${target.label}: ${outcome.ok ? `${outcome.seconds.toFixed(2)} s` : outcome.error}; upstream ${counts.tarball} tarballs + ${counts.packument} packuments, load ${loadavg()[0].toFixed(1)}`);
    };
    upstream.delayMs = options.latencyMs;
    // The same in a process that has run before, as a deployment's has: each system first
    // installs the lockfile under other package names, unmeasured, then under new ones. Before
    // ci-cold, which leaves the bench's own packages cached for the warm workloads.
    if (options.only.includes('ci-cold-running')) {
      results.ci.coldRunning = {};
      for (let r = 0; r < options.coldRuns; r++) {
        const { warmup, measured } = runningPrefixes(r);
        for (const target of [direct, ...Object.values(systems)]) {
          // Direct has no cache to warm; an external deployment is never restarted.
          if (!target.external && target.running) await target.stop();
          if (!target.running) await target.start();
          if (!(target instanceof DirectTarget)) {
            const { packageJson, lockfile } = projectFiles(packages, target.registryUrl, warmup);
            const outcome = await timeNpmCi({ root: tmp, registryUrl: target.registryUrl, packageJson, lockfile, label: `${target.key}-warmup` });
            log(`warm-up (other packages) npm ci via ${target.label}: ${outcome.ok ? `${outcome.seconds.toFixed(2)} s` : outcome.error}`);
          }
          await coldInstall('coldRunning', target, measured);
        }
      }
    }
    if (options.only.includes('ci-cold')) {
      results.ci.cold = {};
      for (let r = 0; r < options.coldRuns; r++) {
        for (const target of [direct, ...Object.values(systems)]) {
          if (target.external && r > 0) continue; // an external deployment cannot be emptied
          if (target.running && !(target instanceof DirectTarget)) await target.stop();
          await target.start();
          await coldInstall('cold', target);
        }
      }
    }

    // Everything after this is warm: the caches hold what is measured.
    upstream.delayMs = options.latencyMs;
    for (const target of Object.values(systems)) if (!target.running) await target.start();
    const wrkWorkloads = options.only.filter((w) => ['packument', 'tarball', 'artifact'].includes(w));
    for (const target of Object.values(systems)) {
      for (const workload of wrkWorkloads) {
        const { url, headers } = workloadRequest(workload, target.registryUrl);
        let probe;
        for (let i = 0; i < 2; i++) probe = await httpGet(url, headers);
        if (probe.status !== 200) throw new Error(`${target.label} answered ${probe.status} for ${url}: ${probe.body?.toString().slice(0, 300)}`);
        let note = `${probe.size} bytes`;
        if (workload === 'packument') {
          const doc = JSON.parse(probe.body.toString());
          note += `, ${Object.keys(doc.versions).length} versions, latest ${doc['dist-tags'].latest}`;
          results.meta[`packument_${target.key}`] = { bytes: probe.size, versions: Object.keys(doc.versions).length, latest: doc['dist-tags'].latest };
        }
        log(`warmed ${workload} on ${target.label}: ${note}`);
      }
    }
    if (options.only.includes('ci-warm') && !options.only.includes('ci-cold')) {
      for (const target of Object.values(systems)) {
        const { packageJson, lockfile } = project(target.registryUrl);
        const outcome = await timeNpmCi({ root: tmp, registryUrl: target.registryUrl, packageJson, lockfile, label: `${target.key}-warmup` });
        log(`warm-up npm ci via ${target.label}: ${outcome.ok ? `${outcome.seconds.toFixed(2)} s` : outcome.error}`);
      }
    }
    upstream.resetCounts();

    if (options.only.includes('ci-warm')) {
      results.ci.warm = {};
      for (let r = 0; r < options.ciRuns; r++) {
        for (const target of Object.values(systems)) {
          target.meter.begin();
          const { packageJson, lockfile } = project(target.registryUrl);
          const outcome = await timeNpmCi({ root: tmp, registryUrl: target.registryUrl, packageJson, lockfile, label: target.key });
          const usage = target.meter.end();
          (results.ci.warm[target.key] ??= []).push({ ...outcome, ...usage, load1: loadavg()[0] });
          rssOf(target.key, 'npm ci warm', usage.peakRssMB);
          log(`warm npm ci via ${target.label}: ${outcome.ok ? `${outcome.seconds.toFixed(2)} s` : outcome.error}`);
        }
      }
    }

    for (const workload of wrkWorkloads) {
      const conns = workload === 'artifact' ? options.artifactConnections : options.connections;
      if (workload !== 'artifact') {
        // A short run first, so that every server has warmed up its JIT on this path.
        for (const target of Object.values(systems)) {
          const { url, headers } = workloadRequest(workload, target.registryUrl);
          await runWrk({ url, headers, connections: 8, durationS: 2 });
        }
      }
      for (const c of conns) {
        // Runs go round the systems in turns, so that a slow spell of the machine hits them all.
        const runs = new Map(Object.keys(systems).map((key) => [key, []]));
        for (let r = 0; r < options.wrkRuns; r++) {
          for (const target of Object.values(systems)) {
            const { url, headers } = workloadRequest(workload, target.registryUrl);
            target.meter.begin();
            let m;
            try {
              m = await runWrk({ url, headers, connections: c, durationS: workload === 'artifact' ? options.artifactDurationS : options.durationS, timeoutS: workload === 'artifact' ? 300 : 60 });
            } catch (err) {
              m = { error: String(err.message ?? err) };
            }
            const usage = target.meter.end();
            const { raw, ...measured } = m;
            runs.get(target.key).push({ ...measured, ...usage, load1: loadavg()[0] });
            rssOf(target.key, workload, usage.peakRssMB);
            log(
              `${workload} c=${c} ${target.label}: ${m.error ? m.error : `${Math.round(m.rps)} req/s, ${m.mbps.toFixed(1)} MiB/s, p50 ${m.p50ms?.toFixed(2)} ms, p99 ${m.p99ms?.toFixed(2)} ms${m.non2xx ? `, ${m.non2xx} non-2xx` : ''}`}, peak RSS ${usage.peakRssMB} MB, CPU ${usage.cpuSeconds} s, load ${loadavg()[0].toFixed(1)}`,
            );
          }
        }
        for (const [key, measured] of runs) {
          const median = medianRun(measured);
          results.warm.push({ workload, connections: c, target: key, ...median, ...(measured.length > 1 ? { runs: measured } : {}) });
        }
      }
    }
    results.upstreamWarm = upstream.snapshot();
    for (const [key, target] of Object.entries(systems)) rssOf(key, 'whole run', target.meter.overallPeakKb ? Math.round(target.meter.overallPeakKb / 102.4) / 10 : undefined);
  } finally {
    for (const target of Object.values(systems)) await target.stop().catch(() => {});
    await upstream.stop();
    if (!options.keep) rmSync(tmp, { recursive: true, force: true });
    killChildren();
  }

  results.meta.loadAfter = loadavg();
  results.meta.seconds = Math.round((Date.now() - started) / 1000);
  const report = buildReport(results);
  results.verdicts = report.verdicts;
  const summary = [
    `pkgproxy benchmark, ${results.meta.date} — ${results.meta.cpus} cores (${results.meta.cpuModel}), node ${results.meta.node}, pkgproxy ${results.meta.pkgproxy ?? '–'}, Verdaccio ${results.meta.verdaccio ?? '–'}, ${results.meta.nginx ?? ''}, ${results.meta.wrk ?? ''}`,
    `load average before ${results.meta.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${results.meta.loadAfter.map((l) => l.toFixed(2)).join(' ')}; wrk ${options.wrkRuns} x ${options.durationS}s per cell, taken in turns, median reported (${options.artifactDurationS}s runs for the artifact); all on loopback; cooldown ${options.cooldown} on pkgproxy.`,
    results.upstreamWarm.total !== undefined ? `Upstream requests during the warm workloads: ${results.upstreamWarm.total}.` : '',
    ['pkgproxy', 'verdaccio', 'nginx']
      .filter((t) => results.meta[`packument_${t}`])
      .map((t) => {
        const p = results.meta[`packument_${t}`];
        return `${t} packument: ${p.bytes} bytes, ${p.versions} versions, latest ${p.latest}`;
      })
      .join('; '),
    '',
  ].join('\n');
  const verdictLines = report.verdicts.map((v) => `- ${v.pass === undefined ? 'n/a ' : v.pass ? 'PASS' : 'MISS'}  ${v.target}: ${v.value === undefined ? '–' : v.value.toFixed(2)} (${v.goal})`).join('\n');
  const markdown = `${summary}\n${report.markdown}\nTargets:\n${verdictLines}\n`;
  process.stdout.write(`\n${markdown}`);

  mkdirSync(join(BENCH, 'results'), { recursive: true });
  const base = join(BENCH, 'results', stamp());
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  log(`results written to ${base}.json and .md (${results.meta.seconds} s)`);

  if (targetOptions.profileDir && existsSync(targetOptions.profileDir)) {
    for (const file of readdirSync(targetOptions.profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      process.stdout.write(`\nCPU profile ${join(targetOptions.profileDir, file)}:\n${summarizeProfile(join(targetOptions.profileDir, file), 25)}\n`);
    }
  }
}

function stamp() {
  return new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
}

process.on('SIGINT', () => {
  killChildren();
  process.exit(130);
});

main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  killChildren();
  process.exit(1);
});

/** The run with the median throughput (failed runs count as slowest), with its own latencies and usage. */
function medianRun(runs) {
  const rate = (run) => (run.error ? -1 : run.mbps);
  const sorted = [...runs].sort((a, b) => rate(a) - rate(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
