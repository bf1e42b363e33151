import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What every log line and every published event inherits from the work that caused it. */
export interface RequestContext {
  correlationId: string;
  /** Event id that caused the current work, when handling an event. */
  causationId?: string;
  traceparent?: string;
  eventType?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runWithContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

const correlationIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's correlation id only when it is a sane token; otherwise starts a new one. */
export function correlationIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && correlationIdPattern.test(value) ? value : randomUUID();
}

/** Binds a context to the rest of the current async flow (used by the HTTP hook of each request). */
export function enterContext(context: RequestContext): void {
  storage.enterWith(context);
}
