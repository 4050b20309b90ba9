// Load with wrk (Debian's package): requests/s, latency percentiles and throughput.
import { run } from './procs.mjs';

const TIME_UNITS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

function ms(text) {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  return match ? Number(match[1]) * TIME_UNITS[match[2]] : NaN;
}

function bytes(text) {
  const match = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text.trim());
  return match ? Number(match[1]) * SIZE_UNITS[match[2]] : NaN;
}

/** Parses `wrk --latency` output. */
export function parseWrk(output) {
  const get = (re) => re.exec(output)?.[1];
  const summary = /(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read/.exec(output);
  const requests = summary ? Number(summary[1]) : NaN;
  const durationMs = summary ? ms(summary[2]) : NaN;
  const readBytes = summary ? bytes(summary[3]) : NaN;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  // With no completed request wrk prints a latency distribution of zeros.
  const latency = (text) => (requests > 0 ? ms(text ?? '') : NaN);
  return {
    requests,
    rps: Number(get(/Requests\/sec:\s+([\d.]+)/)),
    p50ms: latency(get(/^\s+50%\s+(\S+)/m)),
    p99ms: latency(get(/^\s+99%\s+(\S+)/m)),
    mbps: readBytes / 1024 ** 2 / (durationMs / 1000),
    non2xx: Number(get(/Non-2xx or 3xx responses: (\d+)/) ?? 0),
    errors: socketErrors ? { connect: +socketErrors[1], read: +socketErrors[2], write: +socketErrors[3], timeout: +socketErrors[4] } : undefined,
  };
}

/**
 * One wrk run (no Lua script: a response() hook would make wrk read every body into Lua).
 * Headers: e.g. { accept: 'application/json' }. Statuses are checked by a probe beforehand;
 * wrk reports any non-2xx/3xx answer, which marks the result as failed.
 * Threads: wrk needs at least one connection per thread; two threads suit two cores.
 */
export async function runWrk({ url, connections, durationS, headers = {}, timeoutS = 120 }) {
  const threads = Math.min(2, connections);
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${durationS}s`, '--timeout', `${timeoutS}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const result = await run('wrk', args, { timeoutMs: (durationS + timeoutS + 30) * 1000 });
  if (result.code !== 0) throw new Error(`wrk exited ${result.code ?? result.signal}: ${result.stderr || result.stdout}`);
  return { ...parseWrk(result.stdout), raw: result.stdout };
}
