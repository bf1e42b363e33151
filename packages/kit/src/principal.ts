import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { forbidden, unauthenticated } from './errors';

export const roles = ['customer', 'store_owner', 'courier', 'hq_admin'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/** The caller as proven by a verified access token. */
export interface Principal {
  readonly userId: string;
  readonly roles: readonly Role[];
}

const accessClaims = z.object({ sub: z.uuid(), roles: z.array(roleSchema).min(1) });

export interface TokenVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
}

export type TokenVerifier = (token: string) => Promise<Principal>;

/**
 * Verifies access tokens against auth's JWKS. jose caches the key set and refetches it when a token
 * names an unknown `kid` (key rotation), at most once per cooldown.
 */
export function createTokenVerifier(options: TokenVerifierOptions, keys?: JWTVerifyGetKey): TokenVerifier {
  const keySet = keys ?? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  return async (token) => {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ['EdDSA'],
        typ: 'at+jwt',
      }));
    } catch {
      throw unauthenticated('invalid or expired access token');
    }
    const claims = accessClaims.safeParse(payload);
    if (!claims.success) throw unauthenticated('access token lacks required claims');
    return { userId: claims.data.sub, roles: claims.data.roles };
  };
}

/** Reads `Authorization: Bearer …`; absent means anonymous, malformed means refused. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(header);
  if (!match?.[1]) throw unauthenticated('malformed Authorization header: expected "Bearer <jwt>"');
  return match[1];
}

export function requirePrincipal(principal: Principal | null): Principal {
  if (!principal) throw unauthenticated();
  return principal;
}

export function requireRole(principal: Principal | null, ...allowed: Role[]): Principal {
  const caller = requirePrincipal(principal);
  if (!caller.roles.some((role) => allowed.includes(role))) throw forbidden(`requires role ${allowed.join(' or ')}`);
  return caller;
}

export function isSelfOrAdmin(principal: Principal, userId: string): boolean {
  return principal.userId === userId || principal.roles.includes('hq_admin');
}
