import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs, one object per line; human-readable only when a person is watching a terminal. */
export function createLogger(level: string): Logger {
  if (process.stdout.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino({ level });
}
