// Structured JSON logs (pino) and a helper that logs a repeating problem once per key per period.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'vigil' } });
}

/** Remembers when each key last logged so a misbehaving device cannot flood the log. */
export class LogThrottle {
  private readonly last = new Map<string, number>();
  constructor(private readonly periodMs = 60_000) {}

  shouldLog(key: string, nowMs = Date.now()): boolean {
    const previous = this.last.get(key);
    if (previous !== undefined && nowMs - previous < this.periodMs) return false;
    if (this.last.size > 100_000) this.last.clear();
    this.last.set(key, nowMs);
    return true;
  }
}
