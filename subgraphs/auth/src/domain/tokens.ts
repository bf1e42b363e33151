import { createHash, randomBytes } from 'node:crypto';

/** Refresh tokens are opaque random strings; only their SHA-256 is stored. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type RefreshOutcome =
  | { kind: 'rotate' }
  | { kind: 'reused' }
  | { kind: 'expired' }
  | { kind: 'revoked' };

/** A spent token presented again means it leaked: the whole family is revoked. */
export function judgeRefresh(token: { usedAt: Date | null; revokedAt: Date | null; expiresAt: Date }, now: Date): RefreshOutcome {
  if (token.revokedAt) return { kind: 'revoked' };
  if (token.usedAt) return { kind: 'reused' };
  if (token.expiresAt.getTime() <= now.getTime()) return { kind: 'expired' };
  return { kind: 'rotate' };
}
