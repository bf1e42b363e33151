import { correlationId } from './correlation-id';
import { cors } from './cors';
import type { PluginDefinition } from './plugin';
import { requestSizeLimiting } from './request-size-limiting';

/** Every Kong plugin the local edge implements; kong.yml may use these and no other. */
export const pluginDefinitions: ReadonlyMap<string, PluginDefinition> = new Map(
  [correlationId, cors, requestSizeLimiting].map((definition) => [definition.name, definition]),
);
