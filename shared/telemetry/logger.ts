import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs, one object per line; human-readable only when a person is watching a terminal. */
export function createLogger(level: string): Logger {
  if (process.stdout.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino({ level }, new TurnBatchedOutput(1));
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * A pino destination that writes the lines of one event-loop turn together, at the end of that
 * turn: under load one write carries many request lines instead of one write per request, and
 * no line waits longer than the turn that logged it. What is pending when the process exits is
 * written then.
 */
class TurnBatchedOutput {
  private lines: string[] = [];

  constructor(private readonly fd: number) {
    process.on('exit', () => this.flush());
  }

  write(line: string): void {
    if (this.lines.push(line) === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    let bytes = Buffer.from(this.lines.join(''));
    this.lines = [];
    while (bytes.length > 0) {
      try {
        bytes = bytes.subarray(writeSync(this.fd, bytes));
      } catch (err) {
        // A full non-blocking pipe: wait for its reader. Anything else (a closed stdout) loses
        // the lines rather than the process.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  }
}
