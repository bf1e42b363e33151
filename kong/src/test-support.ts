import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createLogger } from '@x/kit';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { request } from 'undici';
import { defaultKongConfigPath, startEdge, type EdgeOptions, type RunningEdge } from './edge';
import { jwtSecretsFromJwks, renderKongConfig } from './render-config';

/** Test helpers for the local edge: stub upstreams, a signing key rendered into kong.yml, calls. */

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Stub {
  name: string;
  address: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export type StubHandler = (request: SeenRequest, response: ServerResponse) => void;

/** A stand-in upstream that records what reached it and answers with it (or as `handler` says). */
export async function startStub(name: string, options: { delayMs?: number; port?: number; handler?: StubHandler } = {}): Promise<Stub> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      if (req.url !== '/health') seen.push(entry);
      setTimeout(() => {
        if (options.handler) return options.handler(entry, res);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ service: name, method: req.method, url: req.url, bodyBytes: body.length }));
      }, options.delayMs ?? 0);
    });
  });
  server.keepAliveTimeout = 100;
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  return {
    name,
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port that was free a moment ago and has nothing listening on it. */
export async function deadAddress(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

/** Waits for something that happens after a response (a log line, a sync), failing after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const silent = createLogger('edge-test', 'silent');

/** A log that keeps what it was given, for tests of what the edge says. */
export function recordingLog(): { log: typeof silent; messages: string[] } {
  const messages: string[] = [];
  const log = createLogger('edge-test', 'info');
  for (const level of ['info', 'warn', 'error'] as const) {
    log[level] = ((first: unknown, second?: unknown) => {
      messages.push(typeof first === 'string' ? first : String(second));
    }) as typeof log.info;
  }
  return { log, messages };
}

export interface Issuer {
  kid: string;
  privateKey: KeyLike;
  /** kong.yml with this issuer's key in the consumer's jwt_secrets. */
  configPath: string;
  token(claims?: { sub?: string; expiresInSeconds?: number; nowSeconds?: number }): Promise<string>;
  cleanup(): Promise<void>;
}

/** An Ed25519 key as auth has one, rendered into a copy of kong.yml as the compose step does. */
export async function createIssuer(templatePath = defaultKongConfigPath): Promise<Issuer> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] };
  const dir = await mkdtemp(path.join(tmpdir(), 'edge-issuer-'));
  const configPath = path.join(dir, 'kong.yml');
  await renderKongConfig({ templatePath, outputPath: configPath, secrets: jwtSecretsFromJwks(jwks) });
  return {
    kid,
    privateKey,
    configPath,
    token: async ({ sub = randomUUID(), expiresInSeconds = 900, nowSeconds = Math.floor(Date.now() / 1000) } = {}) =>
      new SignJWT({ roles: ['customer'] })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
        .setIssuer('x-auth')
        .setAudience('x-platform')
        .setSubject(sub)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + expiresInSeconds)
        .sign(privateKey),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A Redis key prefix of its own for one test file, and the removal of its keys afterwards. */
export function redisNamespace(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `x-edge-test-${randomUUID().slice(0, 8)}:`;
  return {
    prefix,
    cleanup: async () => {
      const redis = new Redis({ lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    },
  };
}

// Counters of tests that do not choose a namespace stay apart from every other run's.
const processPrefix = `x-edge-test-${randomUUID().slice(0, 8)}:`;

export function start(options: EdgeOptions): Promise<RunningEdge> {
  return startEdge({ port: 0, log: silent, redisKeyPrefix: processPrefix, ...options });
}

export async function call(edge: RunningEdge, pathAndQuery: string, init: Parameters<typeof request>[1] = {}) {
  const response = await request(`${edge.url}${pathAndQuery}`, init);
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}
