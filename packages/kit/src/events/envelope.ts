import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { currentContext } from '../context';
import type { ServiceName } from '../registry';

/** W3C trace context header: version-traceid-parentid-flags. */
export const traceparentPattern = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The envelope every domain event travels in; the outbox stores it whole, as JSON. */
export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1).max(128),
  version: z.number().int().min(1),
  source: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  subject: z.string().min(1),
  correlationId: z.string().min(1).max(128),
  causationId: z.string().min(1).nullable(),
  // Optional CloudEvents-style tracing extension: the outbox keeps only the envelope, so the trace
  // context must ride inside it to reach the message headers.
  traceparent: z.string().regex(traceparentPattern).optional(),
  data: z.unknown(),
});

export type EventEnvelope<T = unknown> = Omit<z.infer<typeof envelopeSchema>, 'data'> & { data: T };

export interface EventDefinition<S extends z.ZodType = z.ZodType> {
  /** `<service>.<entity>.<past-tense>`, also the routing key. */
  type: string;
  /** A breaking change to `data` is a new version, never an edit. */
  version: number;
  producer: ServiceName;
  description: string;
  data: S;
  /**
   * Top-level fields of `data` that say who a person is or where they live (e-mail, name, address)
   * beyond their id. Stores that keep events for long (headquarter's audit trail) leave them out, so
   * an erased account leaves no personal data behind in them.
   */
  personalData?: readonly string[];
}

export type EventData<D extends EventDefinition> = z.infer<D['data']>;

const eventTypePattern = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/;

/** Checks the naming rules once, when the contract module loads, so a bad contract never ships. */
export function defineEvent<S extends z.ZodType>(definition: EventDefinition<S>): EventDefinition<S> {
  if (!eventTypePattern.test(definition.type)) {
    throw new Error(`event type ${JSON.stringify(definition.type)} is not <service>.<entity>.<past-tense>`);
  }
  if (!definition.type.startsWith(`${definition.producer}.`)) {
    throw new Error(`event type ${definition.type} must start with its producer's name (${definition.producer})`);
  }
  if (!Number.isInteger(definition.version) || definition.version < 1) {
    throw new Error(`event ${definition.type} has version ${definition.version}; versions are integers from 1`);
  }
  if (definition.personalData?.length) {
    const shape = definition.data instanceof z.ZodObject ? (definition.data.shape as Record<string, unknown>) : undefined;
    const unknown = definition.personalData.filter((field) => !shape || !(field in shape));
    if (unknown.length) throw new Error(`event ${definition.type} names personal data that is not a top-level field of its data: ${unknown.join(', ')}`);
  }
  return definition;
}

/** The event as a long-lived store keeps it: the contract's personal fields left out of `data`. */
export function withoutPersonalData(event: EventEnvelope, definition: EventDefinition): EventEnvelope {
  if (!definition.personalData?.length) return event;
  const data = { ...(event.data as Record<string, unknown>) };
  for (const field of definition.personalData) delete data[field];
  return { ...event, data };
}

/** What `withoutPersonalData` keeps of the contract's `data`: the schema such a stored event is read back with. */
export function keptDataSchema(definition: EventDefinition): z.ZodType {
  if (!definition.personalData?.length || !(definition.data instanceof z.ZodObject)) return definition.data;
  const personal = new Set(definition.personalData);
  const shape = definition.data.shape as Record<string, z.ZodType>;
  return z.object(Object.fromEntries(Object.entries(shape).filter(([field]) => !personal.has(field))));
}

/**
 * A new event for `subject`, its data checked against the contract so a producer cannot commit an
 * event its consumers would reject. correlationId and causationId come from currentContext() (a new
 * uuid correlation id when there is none); source = producer.
 */
export function buildEvent<D extends EventDefinition>(definition: D, subject: string, data: EventData<D>): EventEnvelope<EventData<D>> {
  const context = currentContext();
  // parse returns the schema's output type; through the generic constraint TypeScript sees only unknown.
  const checked = definition.data.parse(data) as EventData<D>;
  return {
    id: randomUUID(),
    type: definition.type,
    version: definition.version,
    source: definition.producer,
    time: new Date().toISOString(),
    subject,
    correlationId: context?.correlationId ?? randomUUID(),
    causationId: context?.causationId ?? null,
    ...(context?.traceparent && traceparentPattern.test(context.traceparent) ? { traceparent: context.traceparent } : {}),
    data: checked,
  };
}
