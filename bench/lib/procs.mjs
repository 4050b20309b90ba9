// Child processes, free ports, HTTP probes and memory/CPU readings from /proc.
import { spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';

const children = new Set();

/** Every child this run started is stopped when the run ends, however it ends. */
export function killChildren() {
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {}
  }
  children.clear();
}
process.on('exit', killChildren);

/** Starts a long-running process with stdout and stderr going to logFile. */
export function startProcess(command, args, { cwd, env, logFile }) {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', fd, fd] });
  children.add(child);
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.on('exit', () => children.delete(child));
  return child;
}

export async function stopProcess(child, signal = 'SIGTERM', graceMs = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Runs a command to completion, capturing its output. */
export function run(command, args, { cwd, env, timeoutMs = 600_000, input } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => (stderr += String(err)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** GET a URL, counting the body bytes without keeping them. */
export function httpGet(url, headers = {}, timeoutMs = 600_000) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let size = 0;
      const chunks = [];
      const keep = !(Number(res.headers['content-length']) > 16 * 1024 * 1024);
      res.on('data', (chunk) => {
        size += chunk.length;
        if (keep) chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, size, body: keep ? Buffer.concat(chunks) : undefined }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function waitForHttp(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`process exited before ${url} answered`);
    try {
      const res = await httpGet(url, {}, 2000);
      if (res.status < 500) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The process and its descendants (nginx: master, workers, cache manager). */
export function processTree(rootPid) {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {}
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

function statusKb(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

const TICKS_PER_SECOND = 100;

/**
 * Memory and CPU of one system under test (all its processes) between begin() and end():
 * peak RSS is the sum of each process's VmHWM, which begin() resets through
 * /proc/<pid>/clear_refs (falling back to sampling VmRSS where that is not allowed).
 */
export class ProcessMeter {
  constructor(rootPid) {
    this.rootPid = rootPid;
    this.overallPeakKb = 0;
  }

  pids() {
    return this.rootPid ? processTree(this.rootPid) : [];
  }

  begin() {
    // The process tree is read once per measurement: scanning /proc every sample costs CPU
    // that the system under test would otherwise have.
    const pids = (this.tree = this.pids());
    this.cleared = pids.every((pid) => {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    });
    this.cpuStart = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
    this.sampledPeakKb = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), 500);
  }

  sample() {
    const rss = (this.tree ?? []).reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0);
    this.sampledPeakKb = Math.max(this.sampledPeakKb, rss);
  }

  /** { peakRssMB, cpuSeconds } since begin(). */
  end() {
    clearInterval(this.timer);
    if (!this.rootPid) return { peakRssMB: null, cpuSeconds: null };
    this.sample();
    const pids = this.tree ?? [];
    const hwm = pids.reduce((sum, pid) => sum + statusKb(pid, 'VmHWM'), 0);
    const peakKb = this.cleared ? Math.max(hwm, this.sampledPeakKb) : this.sampledPeakKb;
    this.overallPeakKb = Math.max(this.overallPeakKb, peakKb);
    const cpu = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0) - this.cpuStart;
    return { peakRssMB: Math.round(peakKb / 102.4) / 10, cpuSeconds: Math.round((cpu / TICKS_PER_SECOND) * 100) / 100 };
  }
}
