import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { JwtAlgorithm, JwtCredential, KongConsumer } from '../consumers';
import { definePlugin, headerValue, type AuthenticatedConsumer, type PluginExit, type ProxyContext } from './plugin';

const configSchema = z.strictObject({
  uri_param_names: z.array(z.string().min(1)).default(['jwt']),
  cookie_names: z.array(z.string().min(1)).default([]),
  header_names: z.array(z.string().min(1)).default(['authorization']),
  key_claim_name: z.string().min(1).default('iss'),
  secret_is_base64: z.literal(false, { error: 'secret_is_base64 is not implemented by the local edge' }).default(false),
  claims_to_verify: z.array(z.enum(['exp', 'nbf'])).optional(),
  /** A consumer's username or id, used when authentication fails. */
  anonymous: z.string().min(1).optional(),
  run_on_preflight: z.boolean().default(true),
  maximum_expiration: z.number().min(0).max(31_536_000).default(0),
  realm: z.string().min(1).optional(),
});

/** Verified tokens are kept until they expire: verifying a signature is the edge's biggest cost per request. */
const cacheLimit = 10_000;
/** A token whose expiry is not checked is re-verified after this long anyway. */
const uncheckedExpiryCacheMs = 5 * 60_000;

interface Verified {
  authenticated: AuthenticatedConsumer;
  /** Until when the cached verdict holds (ms since the epoch). */
  validUntilMs: number;
}

type Outcome = { ok: true; verified: Verified } | { ok: false; message: string };

const hashes: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

function verifySignature(algorithm: JwtAlgorithm, credential: JwtCredential, signingInput: Buffer, signature: Buffer): boolean {
  const { verificationKey } = credential;
  if (verificationKey.kind === 'secret') {
    const expected = createHmac(hashes[algorithm.slice(2)]!, verificationKey.secret).update(signingInput).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  const key: KeyObject = verificationKey.key;
  try {
    if (algorithm === 'EdDSA') return verify(null, signingInput, key, signature);
    const hash = hashes[algorithm.slice(2)]!;
    if (algorithm.startsWith('RS')) return verify(hash, signingInput, key, signature);
    if (algorithm.startsWith('PS')) {
      return verify(hash, signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    }
    return verify(hash, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/**
 * Kong's open-source jwt plugin: finds the token (query parameter, cookie, then `Bearer` header),
 * looks up the consumer's jwt_secret by the `key_claim_name` claim (or header, e.g. `kid`), checks the
 * algorithm against the secret's, the signature, and the claims to verify. Every failure is 401 (Kong 3).
 */
export const jwt = definePlugin('jwt', 1450, configSchema, (config, environment) => {
  const verdicts = new Map<string, Verified>();
  const realm = config.realm ?? 'kong';

  const find = (context: ProxyContext): { token?: string; multiple?: boolean } => {
    const { request } = context;
    const query = request.query as Record<string, string | string[] | undefined>;
    for (const name of config.uri_param_names) {
      const value = query[name];
      if (Array.isArray(value)) return { multiple: true };
      if (value) return { token: value };
    }
    for (const name of config.cookie_names) {
      const value = cookie(headerValue(request.headers.cookie), name);
      if (value) return { token: value };
    }
    for (const name of config.header_names) {
      const value = headerValue(request.headers[name.toLowerCase()]);
      const match = value ? /^\s*[Bb]earer\s+(.+)$/.exec(value) : null;
      if (match?.[1]) return { token: match[1].trim() };
    }
    return {};
  };

  const verifyToken = (token: string): Outcome => {
    const now = environment.now();
    const cached = verdicts.get(token);
    if (cached) {
      if (cached.validUntilMs > now) return { ok: true, verified: cached };
      verdicts.delete(token);
    }
    const parts = token.split('.');
    const header = parts.length === 3 ? decodeSegment(parts[0]!) : undefined;
    const claims = parts.length === 3 ? decodeSegment(parts[1]!) : undefined;
    if (!header || !claims) return { ok: false, message: 'Bad token; invalid JSON' };
    if (typeof header.alg !== 'string') return { ok: false, message: 'Bad token; invalid alg' };
    const keyValue = claims[config.key_claim_name] ?? header[config.key_claim_name];
    if (typeof keyValue !== 'string') return { ok: false, message: `No mandatory '${config.key_claim_name}' in claims` };
    const found = environment.jwtSecret(keyValue);
    if (!found) return { ok: false, message: `No credentials found for given '${config.key_claim_name}'` };
    const { consumer, secret } = found;
    if (header.alg !== secret.algorithm) return { ok: false, message: 'Invalid algorithm' };
    const signingInput = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!verifySignature(secret.algorithm, secret, signingInput, Buffer.from(parts[2]!, 'base64url'))) {
      return { ok: false, message: 'Invalid signature' };
    }
    const nowSeconds = now / 1000;
    const checks = config.claims_to_verify ?? [];
    for (const claim of checks) {
      const value = claims[claim];
      if (typeof value !== 'number') return { ok: false, message: `${claim} must be a number` };
      if (claim === 'exp' && value <= nowSeconds) return { ok: false, message: 'token expired' };
      if (claim === 'nbf' && value > nowSeconds) return { ok: false, message: 'token not valid yet' };
    }
    const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
    if (config.maximum_expiration > 0 && (exp === undefined || exp - nowSeconds > config.maximum_expiration)) {
      return { ok: false, message: 'exceeds maximum allowed expiration' };
    }
    const verified: Verified = {
      authenticated: { consumer, credential: secret.key },
      validUntilMs: checks.includes('exp') && exp !== undefined ? exp * 1000 : now + uncheckedExpiryCacheMs,
    };
    if (verdicts.size >= cacheLimit) verdicts.delete(verdicts.keys().next().value!);
    verdicts.set(token, verified);
    return { ok: true, verified };
  };

  const authenticateAs = (context: ProxyContext, consumer: KongConsumer, credential: string | undefined) => {
    const headers = context.upstreamHeaders;
    headers['x-consumer-username'] = consumer.username;
    if (consumer.customId) headers['x-consumer-custom-id'] = consumer.customId;
    if (credential) {
      headers['x-credential-identifier'] = credential;
      context.authenticated = { consumer, credential };
    } else {
      headers['x-anonymous-consumer'] = 'true';
    }
  };

  const anonymous = config.anonymous ? environment.consumer(config.anonymous) : undefined;
  if (config.anonymous && !anonymous) throw new Error(`jwt: anonymous consumer "${config.anonymous}" is not in kong.yml`);

  return {
    access(context): PluginExit | undefined {
      if (!config.run_on_preflight && context.request.method === 'OPTIONS') return undefined;
      const { token, multiple } = find(context);
      const outcome: Outcome = multiple
        ? { ok: false, message: 'Multiple tokens provided' }
        : token
          ? verifyToken(token)
          : { ok: false, message: 'Unauthorized' };
      if (outcome.ok) {
        authenticateAs(context, outcome.verified.authenticated.consumer, outcome.verified.authenticated.credential);
        return undefined;
      }
      if (anonymous) {
        authenticateAs(context, anonymous, undefined);
        return undefined;
      }
      return {
        status: 401,
        headers: { 'www-authenticate': `Bearer realm="${realm}"${token ? ', error="invalid_token"' : ''}` },
        error: { code: 'UNAUTHENTICATED', message: outcome.message },
      };
    },
  };
});
