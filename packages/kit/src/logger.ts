import pino, { type Logger } from 'pino';
import { currentContext } from './context';

export type { Logger };

const traceparentPattern = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a W3C traceparent (version-traceid-parentid-flags), when it is one. */
function traceIdOf(traceparent: string | undefined): { traceId?: string } {
  const traceId = traceparent ? traceparentPattern.exec(traceparent)?.[1] : undefined;
  return traceId ? { traceId } : {};
}

/** Buffered lines reach the file at least this often, so a tail of the log lags by no more. */
export const logFlushIntervalMs = 200;

/**
 * Standard output through a buffer: a synchronous write per line (pino's default) cost the gateway
 * about a tenth of its CPU under load, one write(2) per request. Lines go out in 4 KiB chunks, at the
 * latest every logFlushIntervalMs, and whatever is left is written when the process exits (pino
 * flushes its own destinations on exit); a SIGKILL loses at most that last chunk.
 */
function bufferedStdout(): pino.DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), logFlushIntervalMs).unref();
  return destination;
}

/**
 * JSON logs on stdout, buffered (or on `destination`); every line carries the service, and the
 * correlation id, the trace id and the event type of the work in progress.
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const context = currentContext();
      if (!context) return {};
      return {
        correlationId: context.correlationId,
        // W3C traceparent: version-traceid-parentid-flags; the trace id links the line to its trace.
        ...traceIdOf(context.traceparent),
        ...(context.eventType ? { eventType: context.eventType } : {}),
        ...(context.causationId ? { causationId: context.causationId } : {}),
      };
    },
    redact: { paths: ['password', '*.password', 'refreshToken', '*.refreshToken', 'req.headers.authorization'], censor: '[redacted]' },
  };
  return pino(options, destination ?? bufferedStdout());
}
