import { z } from 'zod';
import { definePlugin } from './plugin';

const headerPair = z.string().regex(/^[A-Za-z0-9-]+:.*$/, 'name:value');

const configSchema = z.strictObject({
  remove: z.strictObject({ headers: z.array(z.string().regex(/^[A-Za-z0-9-]+$/)).default([]) }).prefault({}),
  add: z.strictObject({ headers: z.array(headerPair).default([]) }).prefault({}),
});

/**
 * Kong's response-transformer, the header half it is used for here: `remove.headers` strips what
 * upstreams reveal about themselves, `add.headers` sets a header the response does not have yet.
 */
export const responseTransformer = definePlugin('response-transformer', 800, configSchema, (config) => {
  const removed = config.remove.headers.map((name) => name.toLowerCase());
  const added = config.add.headers.map((pair) => {
    const separator = pair.indexOf(':');
    return [pair.slice(0, separator).toLowerCase(), pair.slice(separator + 1).trim()] as const;
  });
  return {
    headerFilter(_context, reply) {
      for (const name of removed) reply.removeHeader(name);
      for (const [name, value] of added) if (!reply.hasHeader(name)) reply.header(name, value);
    },
  };
});
