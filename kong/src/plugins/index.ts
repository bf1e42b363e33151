import { correlationId } from './correlation-id';
import { cors } from './cors';
import { fileLog } from './file-log';
import { jwt } from './jwt';
import type { PluginDefinition } from './plugin';
import { proxyCache } from './proxy-cache';
import { rateLimiting } from './rate-limiting';
import { requestSizeLimiting } from './request-size-limiting';
import { responseTransformer } from './response-transformer';

/** Every Kong plugin the local edge implements; kong.yml may use these and no other. */
export const pluginDefinitions: ReadonlyMap<string, PluginDefinition> = new Map(
  [correlationId, cors, jwt, requestSizeLimiting, rateLimiting, responseTransformer, proxyCache, fileLog].map((definition) => [definition.name, definition]),
);
