import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const LOGGER = join(import.meta.dirname, '../../dist/shared/telemetry/logger.js');

/** Runs a script against the built logger with stdout a pipe; the parent starts reading after `readAfterMs`. */
function runLogging(script: string, readAfterMs = 0): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `const { createLogger } = await import(${JSON.stringify(LOGGER)});\nconst log = createLogger('info');\n${script}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.pause();
  setTimeout(() => child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString())).resume(), readAfterMs);
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, lines: stdout.split('\n').filter(Boolean), stderr })));
}

describe('log output', () => {
  it('writes every line logged in a turn, in order, even when the process exits in that same turn', async () => {
    const { code, lines, stderr } = await runLogging(`for (let i = 0; i < 500; i++) log.info({ i }, 'line'); process.exit(3);`);
    expect(stderr).toBe('');
    expect(code).toBe(3);
    expect(lines.map((line) => JSON.parse(line).i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('waits for a reader that is behind instead of dropping lines when the pipe is full', async () => {
    // About 4 MB in one turn: far more than a pipe holds while nobody reads for half a second.
    const script = `const pad = 'x'.repeat(4000); for (let i = 0; i < 1000; i++) log.info({ i, pad }, 'big');
setTimeout(() => log.info({ i: 1000 }, 'last'), 10);`;
    const { code, lines } = await runLogging(script, 500);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1001);
    expect(lines.map((line) => JSON.parse(line).i)).toEqual(Array.from({ length: 1001 }, (_, i) => i));
  });
});
