import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs, one object per line; human-readable only when a person is watching a terminal. */
export function createLogger(level: string): Logger {
  if (process.stdout.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  // Asynchronous writes: while one is in flight the next lines gather behind it, so under load
  // many lines go out in one write instead of one write per request. pino flushes what is left
  // when the process exits.
  return pino({ level }, pino.destination({ dest: 1, sync: false }));
}
