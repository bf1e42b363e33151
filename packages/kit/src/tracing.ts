import { isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Span } from '@opentelemetry/api';

export { SpanKind };

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface Tracing {
  /** Sends the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Exports spans over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or `endpoint` is given);
 * otherwise returns undefined and every span below is OpenTelemetry's no-op: tracing off costs nothing
 * but the no-op calls. The W3C trace context travels in this process's request context (traceparent),
 * in HTTP headers and in AMQP message headers, so spans are parented explicitly, without a context manager.
 * The SDK loads only then: it cost every process about 7 MiB resident with tracing off.
 */
export function startTracing(service: string, options: { endpoint?: string; batch?: boolean } = {}): Tracing | undefined {
  const endpoint = options.endpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return undefined;
  const { exportSpans } = require('./tracing-export') as typeof import('./tracing-export');
  const provider = exportSpans(service, `${endpoint.replace(/\/$/, '')}/v1/traces`, options.batch !== false);
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
    },
  };
}

/** The span context a W3C traceparent names, as the parent of a new span (none when absent or malformed). */
function parentOf(traceparent: string | undefined) {
  const match = traceparent ? traceparentPattern.exec(traceparent) : null;
  if (!match) return ROOT_CONTEXT;
  const flags = Number.parseInt(match[4]!, 16) & TraceFlags.SAMPLED;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: match[2]!, spanId: match[3]!, traceFlags: flags, isRemote: true });
}

/** The traceparent that names `span` as the parent of what follows, when it has a valid context. */
export function traceparentOf(span: Span): string | undefined {
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return undefined;
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags & TraceFlags.SAMPLED ? '01' : '00'}`;
}

export interface StartedSpan {
  span: Span;
  /** What to hand on (headers, envelope, request context): this span's traceparent, or the parent's when tracing is off. */
  traceparent: string | undefined;
}

/** Starts a span under the work named by `parent` (a traceparent). */
export function startSpan(name: string, kind: SpanKind, parent: string | undefined, attributes: Attributes = {}): StartedSpan {
  const span = trace.getTracer('@x/kit').startSpan(name, { kind, attributes }, parentOf(parent));
  return { span, traceparent: traceparentOf(span) ?? parent };
}

/** Runs `work` in a span that ends when it settles; a failure marks the span as an error. */
export async function inSpan<T>(name: string, kind: SpanKind, parent: string | undefined, attributes: Attributes, work: (started: StartedSpan) => Promise<T>): Promise<T> {
  const started = startSpan(name, kind, parent, attributes);
  try {
    return await work(started);
  } catch (error) {
    started.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    started.span.end();
  }
}

export function markSpanFailed(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Messaging semantic conventions of a span that sends or processes `event` on the topic exchange. */
export function messagingAttributes(exchange: string, event: { id: string; type: string; correlationId: string }, operation: 'send' | 'process', queue?: string): Attributes {
  return {
    'messaging.system': 'rabbitmq',
    'messaging.operation.type': operation,
    'messaging.operation.name': operation === 'send' ? 'publish' : 'process',
    'messaging.destination.name': exchange,
    'messaging.rabbitmq.destination.routing_key': event.type,
    'messaging.message.id': event.id,
    'messaging.message.conversation_id': event.correlationId,
    ...(queue ? { 'messaging.consumer.group.name': queue } : {}),
  };
}
