import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = join(import.meta.dirname, '../../dist/services/cli/main.js');

/** The compiled CLI, as `npm start` and the container run it. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

export interface PkgproxyProcess {
  role: string;
  /** http://127.0.0.1:<port>/ */
  url: string;
  child: ChildProcess;
  /** Log lines so far, parsed (pino writes JSON lines when stdout is not a terminal). */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited within 15s; the exit code or signal. */
  stop(): Promise<number | string>;
}

/** Starts `pkgproxy serve --role <role>` on a free loopback port and waits until it listens. */
export async function startPkgproxy(role: string, env: Record<string, string>): Promise<PkgproxyProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--role', role], {
    env: { PATH: process.env.PATH ?? '', ...env, PROXY_LISTEN: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      const listening = /^pkgproxy listening on (http:\/\/[\d.:]+)$/.exec(String(entry.msg));
      if (listening) resolve(`${listening[1]}/`);
    });
    void exited.then((code) => reject(new Error(`pkgproxy serve --role ${role} exited (${code}) before listening: ${stderr.slice(0, 3000)}`)));
  });
  return {
    role,
    url,
    child,
    logs,
    exited,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs a CLI command to its end; exit code and output. */
export function runPkgproxy(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}
