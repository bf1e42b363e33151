import { judgeRefresh, newRefreshToken, refreshTokenHash } from './tokens';

describe('refresh tokens', () => {
  const now = new Date('2026-11-24T10:00:00Z');
  const later = new Date('2026-12-24T10:00:00Z');

  it('rotates a live token', () => {
    expect(judgeRefresh({ usedAt: null, revokedAt: null, expiresAt: later }, now)).toEqual({ kind: 'rotate' });
  });

  it('treats a spent token presented again as reuse', () => {
    expect(judgeRefresh({ usedAt: now, revokedAt: null, expiresAt: later }, now)).toEqual({ kind: 'reused' });
  });

  it('refuses revoked and expired tokens', () => {
    expect(judgeRefresh({ usedAt: null, revokedAt: now, expiresAt: later }, now).kind).toBe('revoked');
    expect(judgeRefresh({ usedAt: null, revokedAt: null, expiresAt: now }, now).kind).toBe('expired');
  });

  it('stores only a hash, and every token is different', () => {
    const token = newRefreshToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newRefreshToken()).not.toBe(token);
    expect(refreshTokenHash(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(refreshTokenHash(token)).toBe(refreshTokenHash(token));
  });
});
