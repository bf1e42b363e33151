import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { definePlugin, headerValue } from './plugin';

const configSchema = z.strictObject({
  header_name: z.string().min(1).default('Kong-Request-ID'),
  generator: z.enum(['uuid', 'uuid#counter']).default('uuid#counter'),
  echo_downstream: z.boolean().default(false),
});

// Kong's `uuid#counter`: one uuid per worker, then a counter.
const processId = randomUUID();
let counter = 0;

const generators = {
  uuid: () => randomUUID(),
  'uuid#counter': () => `${processId}#${++counter}`,
} as const;

/** Kong's correlation-id: keeps the caller's id or makes one, passes it upstream, echoes it back. */
export const correlationId = definePlugin('correlation-id', 100_001, configSchema, (config) => {
  const headerName = config.header_name.toLowerCase();
  const generate = generators[config.generator];
  return {
    access(context) {
      let id = headerValue(context.request.headers[headerName]);
      if (!id) {
        id = generate();
        context.upstreamHeaders[headerName] = id;
      }
      context.correlationId = id;
      return undefined;
    },
    headerFilter(context, reply) {
      context.correlationId ??= headerValue(context.request.headers[headerName]) || generate();
      if (config.echo_downstream) reply.header(headerName, context.correlationId);
    },
  };
});
