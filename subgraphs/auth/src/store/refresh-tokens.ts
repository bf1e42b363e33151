import { randomUUID } from 'node:crypto';
import { judgeRefresh, newRefreshToken, refreshTokenHash, type RefreshOutcome } from '../domain/tokens';
import type { PrismaClient } from './generated/client';

export type RotationResult = { kind: 'rotated'; accountId: string; refreshToken: string } | Exclude<RefreshOutcome, { kind: 'rotate' }> | { kind: 'unknown' };

/** Refresh-token families: each login starts one, each refresh spends a token and issues the next. */
export class RefreshTokens {
  constructor(
    private readonly db: PrismaClient,
    private readonly ttlSeconds: number,
  ) {}

  async startFamily(accountId: string): Promise<string> {
    const token = newRefreshToken();
    await this.db.refreshToken.create({ data: this.row(accountId, randomUUID(), token) });
    return token;
  }

  /**
   * Spends a token and issues its successor in one transaction. The conditional update lets exactly
   * one of two concurrent refreshes with the same token win; the other is treated as reuse.
   */
  async rotate(presented: string): Promise<RotationResult> {
    const now = new Date();
    return this.db.$transaction(async (tx) => {
      const token = await tx.refreshToken.findUnique({ where: { tokenHash: refreshTokenHash(presented) } });
      if (!token) return { kind: 'unknown' } as const;
      const verdict = judgeRefresh(token, now);
      if (verdict.kind === 'rotate') {
        const { count } = await tx.refreshToken.updateMany({ where: { id: token.id, usedAt: null, revokedAt: null }, data: { usedAt: now } });
        if (count === 1) {
          const next = newRefreshToken();
          await tx.refreshToken.create({ data: this.row(token.accountId, token.familyId, next) });
          return { kind: 'rotated', accountId: token.accountId, refreshToken: next } as const;
        }
      }
      if (verdict.kind !== 'expired') {
        await tx.refreshToken.updateMany({ where: { familyId: token.familyId, revokedAt: null }, data: { revokedAt: now } });
      }
      return verdict.kind === 'rotate' ? ({ kind: 'reused' } as const) : verdict;
    });
  }

  /** Logout: the presented token's whole family stops working. Unknown tokens are ignored. */
  async revokeFamilyOf(presented: string): Promise<void> {
    const token = await this.db.refreshToken.findUnique({ where: { tokenHash: refreshTokenHash(presented) } });
    if (!token) return;
    await this.db.refreshToken.updateMany({ where: { familyId: token.familyId, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  private row(accountId: string, familyId: string, token: string) {
    return { id: randomUUID(), familyId, accountId, tokenHash: refreshTokenHash(token), expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) };
  }
}
