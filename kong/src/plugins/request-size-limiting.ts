import type { Readable } from 'node:stream';
import { z } from 'zod';
import { definePlugin, headerValue, type PluginExit } from './plugin';

const unitBytes = { megabytes: 1_048_576, kilobytes: 1024, bytes: 1 } as const;

const configSchema = z.strictObject({
  allowed_payload_size: z.number().int().positive().default(128),
  size_unit: z.enum(['megabytes', 'kilobytes', 'bytes']).default('megabytes'),
  require_content_length: z.boolean().default(false),
});

const tooLarge = (expectsContinue: boolean): PluginExit => ({
  status: expectsContinue ? 417 : 413,
  error: { code: expectsContinue ? 'EXPECTATION_FAILED' : 'PAYLOAD_TOO_LARGE', message: 'Request size limit exceeded' },
});

/** Kong's request-size-limiting: trusts Content-Length when there is one, otherwise reads the body up to the limit. */
export const requestSizeLimiting = definePlugin('request-size-limiting', 951, configSchema, (config) => {
  const limitBytes = config.allowed_payload_size * unitBytes[config.size_unit];
  return {
    async access(context) {
      const { request } = context;
      const expectsContinue = headerValue(request.headers.expect)?.trim().toLowerCase() === '100-continue';
      const declaredLength = headerValue(request.headers['content-length']);
      if (declaredLength !== undefined && /^\d+$/.test(declaredLength)) {
        return Number(declaredLength) > limitBytes ? tooLarge(expectsContinue) : undefined;
      }
      if (config.require_content_length) {
        return { status: 411, error: { code: 'LENGTH_REQUIRED', message: 'A valid Content-Length header is required' } };
      }
      // Only a chunked body is left to measure; fastify hands it over unread as the request body.
      if (!isReadable(request.body)) return undefined;
      const body = await readUpTo(request.body, limitBytes);
      if (!body) return tooLarge(expectsContinue);
      context.bufferedBody = body;
      return undefined;
    },
  };
});

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && 'pipe' in value && typeof value.pipe === 'function';
}

/**
 * The whole body, or undefined once it passes the limit. Past the limit the rest is read and dropped
 * rather than the socket destroyed, so the client still receives the 413.
 */
function readUpTo(stream: Readable, limitBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      stream.resume();
      resolve(undefined);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    // Stays attached: a client that aborts while its dropped tail is read must not crash the edge.
    stream.on('error', reject);
  });
}
