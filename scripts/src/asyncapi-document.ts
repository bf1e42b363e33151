import { existsSync } from 'node:fs';
import path from 'node:path';
import { consumerQueueName, deadLetterQueueName, envelopeSchema, eventCatalog, liveServices, type EventDefinition } from '@x/kit';
import { stringify } from 'yaml';
import { z } from 'zod';

export const repoRoot = path.resolve(__dirname, '../..');
export const asyncApiFile = path.join(repoRoot, 'docs', 'asyncapi.yaml');

/** The exchange the document describes: the platform's default (EVENTS_EXCHANGE). */
const exchange = 'x.events';

/** Which events each service consumes, by service name. */
export type ConsumerTable = ReadonlyMap<string, readonly EventDefinition[]>;

/**
 * Each live service's `consumedEvents`, read from its `events/handlers` module under `build` (`src`
 * under Jest, `dist` for the CLI) without constructing its stores. The consumer registers
 * `subscriptionsFor(consumedEvents, ...)`, which refuses any handler not in that list and any listed
 * event without a handler, so this table is the registered handlers.
 */
export function loadConsumers(build: 'src' | 'dist'): ConsumerTable {
  const table = new Map<string, readonly EventDefinition[]>();
  for (const { name } of liveServices()) {
    const base = path.join(repoRoot, 'subgraphs', name, build, 'events', 'handlers');
    if (!existsSync(`${base}.ts`) && !existsSync(`${base}.js`)) continue;
    // A plain require: the module path is only known at run time, and Jest resolves it to the source.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded: unknown = require(base);
    table.set(name, consumedEventsOf(loaded, name));
  }
  return table;
}

function consumedEventsOf(loaded: unknown, service: string): readonly EventDefinition[] {
  const list: unknown = typeof loaded === 'object' && loaded !== null && 'consumedEvents' in loaded ? loaded.consumedEvents : undefined;
  if (!Array.isArray(list)) throw new Error(`subgraphs/${service}/src/events/handlers.ts must export consumedEvents (the events it consumes)`);
  return list.map((entry: unknown) => {
    const known = eventCatalog.find((definition) => isSameEvent(entry, definition));
    if (!known) throw new Error(`${service} consumes an event that is not in the kit's eventCatalog: ${JSON.stringify(entry)}`);
    return known;
  });
}

function isSameEvent(entry: unknown, definition: EventDefinition): boolean {
  return typeof entry === 'object' && entry !== null && 'type' in entry && 'version' in entry && entry.type === definition.type && entry.version === definition.version;
}

/** `order.order.placed` v1 → `order.order.placed.v1`, the message's key in components. */
export const messageKey = (definition: Pick<EventDefinition, 'type' | 'version'>): string => `${definition.type}.v${definition.version}`;
export const sendOperationKey = (definition: EventDefinition): string => `${definition.producer}.publishes.${definition.type}`;
export const receiveOperationKey = (service: string, definition: EventDefinition): string => `${service}.consumes.${definition.type}`;

type JsonSchema = Record<string, unknown>;

/** Draft-07 JSON Schema of a zod schema (AsyncAPI's default schema format is a superset of it). */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-07', io: 'input', unrepresentable: 'any' });
  return rest;
}

/** The channel's address is the routing key; AMQP binding 0.3.0 has no field of its own for it. */
const amqpChannelBinding = () => ({
  amqp: {
    is: 'routingKey',
    exchange: { name: exchange, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
    bindingVersion: '0.3.0',
  },
});

/** The message headers and properties the broker sets on every event (packages/kit/src/events/broker.ts). */
const headersSchema: JsonSchema = {
  type: 'object',
  description:
    'AMQP headers of every event message. Properties: content-type application/json, message-id = envelope id, type = envelope type, app-id = producer, timestamp = envelope time (seconds), persistent. The routing key is the event type.',
  properties: {
    'x-correlation-id': { type: 'string', description: 'The correlation id of the request or event that caused this one (envelope correlationId).' },
    'x-causation-id': { type: 'string', description: 'Id of the event that caused this one, when an event handler produced it (envelope causationId).' },
    traceparent: { type: 'string', pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$', description: 'W3C trace context of the producing request.' },
    'x-attempt': { type: 'integer', description: 'Set by a consumer on a copy sent to a retry queue or its dead-letter queue: attempts so far.' },
    'x-last-error': { type: 'string', description: 'Set on a retried copy: why the last attempt failed.' },
    'x-dead-letter-reason': { type: 'string', description: 'Set on a dead-lettered copy: why it was parked (npm run dlq -- show).' },
    'x-original-queue': { type: 'string', description: 'Set on a dead-lettered copy: the consumer queue it failed in.' },
    'x-failed-at': { type: 'string', format: 'date-time', description: 'Set on a dead-lettered copy: when it was parked.' },
  },
  required: ['x-correlation-id'],
};

/**
 * The AsyncAPI 3 document of the platform's domain events: one channel per event type on the topic
 * exchange (routing key = type), the producer's send operation and one receive operation per
 * consuming service, and each message's envelope with its `data` schema from the zod contract.
 */
export function buildAsyncApi(consumers: ConsumerTable): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const catalog = [...eventCatalog].sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version);
  const consumersOf = (definition: EventDefinition): string[] =>
    [...consumers.entries()]
      .filter(([, consumed]) => consumed.some((entry) => entry.type === definition.type && entry.version === definition.version))
      .map(([name]) => name)
      .sort();

  for (const definition of catalog) {
    const key = messageKey(definition);
    const consumedBy = consumersOf(definition);
    messages[key] = {
      name: definition.type,
      title: `${definition.type} v${definition.version}`,
      summary: definition.description,
      contentType: 'application/json',
      headers: { $ref: '#/components/schemas/EventHeaders' },
      payload: jsonSchema(envelopeSchema.extend({ type: z.literal(definition.type), version: z.literal(definition.version), source: z.literal(definition.producer), data: definition.data })),
      bindings: { amqp: { messageType: definition.type, bindingVersion: '0.3.0' } },
      'x-producer': definition.producer,
      'x-consumers': consumedBy,
      ...(definition.personalData?.length ? { 'x-personal-data': [...definition.personalData] } : {}),
    };
    channels[definition.type] = {
      address: definition.type,
      title: definition.type,
      description: `${definition.description} Published by ${definition.producer}; consumed by ${consumedBy.length > 0 ? consumedBy.join(', ') : 'no service yet'}.`,
      messages: { [key]: { $ref: `#/components/messages/${key}` } },
      bindings: amqpChannelBinding(),
    };
    const channelRef = { $ref: `#/channels/${escapePointer(definition.type)}` };
    const messageRef = { $ref: `#/channels/${escapePointer(definition.type)}/messages/${escapePointer(key)}` };
    operations[sendOperationKey(definition)] = {
      action: 'send',
      channel: channelRef,
      messages: [messageRef],
      summary: `${definition.producer} commits ${definition.type} to its outbox with the state change; the relay publishes it.`,
      'x-service': definition.producer,
    };
    for (const service of consumedBy) {
      const queue = consumerQueueName(exchange, service);
      operations[receiveOperationKey(service, definition)] = {
        action: 'receive',
        channel: channelRef,
        messages: [messageRef],
        summary: `${service} handles ${definition.type} once (inbox), from its queue ${queue}; failures go through retry queues to ${deadLetterQueueName(queue)}.`,
        bindings: { amqp: { ack: true, bindingVersion: '0.3.0' } },
        'x-service': service,
        'x-queue': queue,
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'X domain events',
      version: '1.0.0',
      description:
        'Every domain event of X, generated from the zod contracts in packages/kit/src/events/contracts and the consumedEvents list of each service (npm run asyncapi; a test fails when this file is stale). Events go through each producer\'s transactional outbox to the durable topic exchange `x.events`, routed by their type; each consuming service has one quorum queue `x.events.<service>` bound to the types it handles, with retry queues and a dead-letter queue `x.events.<service>.dlq`.',
    },
    defaultContentType: 'application/json',
    servers: {
      rabbitmq: { host: 'localhost:5672', protocol: 'amqp', protocolVersion: '0-9-1', description: 'RabbitMQ (AMQP_URL); exchange x.events (EVENTS_EXCHANGE).' },
    },
    channels,
    operations,
    components: { schemas: { EventHeaders: headersSchema }, messages },
  };
}

/** JSON pointer escaping of one reference token. */
function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function renderAsyncApi(document: Record<string, unknown>): string {
  return `# Generated by \`npm run asyncapi\` from the event contracts and each service's consumedEvents. Do not edit.\n${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
