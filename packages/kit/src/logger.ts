import pino, { type Logger } from 'pino';
import { currentContext } from './context';

export type { Logger };

/** JSON logs on stdout; every line carries the correlation id of the work in progress. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const context = currentContext();
      if (!context) return {};
      return {
        correlationId: context.correlationId,
        ...(context.eventType ? { eventType: context.eventType } : {}),
        ...(context.causationId ? { causationId: context.causationId } : {}),
      };
    },
    redact: { paths: ['password', '*.password', 'refreshToken', '*.refreshToken', 'req.headers.authorization'], censor: '[redacted]' },
  });
}
