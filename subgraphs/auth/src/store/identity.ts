import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import { SignJWT } from 'jose';
import { conflict, DomainError, forbidden, notFound, unauthenticated, type Principal, type Role } from '@x/kit';
import { defaultDisplayName, type Registration } from '../domain/credentials';
import type { AccountStore, AccountView } from './accounts';
import type { LoginThrottle } from './login-throttle';
import type { RefreshTokens } from './refresh-tokens';
import type { SigningKeys } from './signing-keys';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane (~20 ms here). */
const passwordHashing = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Password hashing, the costly part of sign-up and login (a seam tests observe it through). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

export const argon2Hasher: PasswordHasher = {
  hash: (password) => argon2.hash(password, passwordHashing),
  verify: (hash, password) => argon2.verify(hash, password),
};

/**
 * What start-up did about the configured first hq_admin: `email-taken` (somebody else registered that
 * e-mail: nothing granted) and `other-admin` (an hq_admin exists under another e-mail) leave the
 * configured credentials unusable, and the service says so.
 */
export type FirstAdminOutcome = 'created' | 'present' | 'password-reset' | 'email-taken' | 'other-admin';

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

export interface Session {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: AccountView;
}

/** The flows behind auth's REST API: sign up, log in, refresh, log out, delete, grant a role. */
export class Identity {
  // Verifying against this when the e-mail is unknown keeps a failed login's timing the same.
  private readonly decoyHash: Promise<string>;

  constructor(
    private readonly accounts: AccountStore,
    private readonly refreshTokens: RefreshTokens,
    private readonly keys: SigningKeys,
    private readonly throttle: LoginThrottle,
    private readonly settings: TokenSettings,
    private readonly hasher: PasswordHasher = argon2Hasher,
  ) {
    this.decoyHash = hasher.hash(randomUUID());
  }

  async register(input: Registration): Promise<AccountView> {
    const passwordHash = await this.hasher.hash(input.password);
    const account = await this.accounts.register({
      email: input.email,
      passwordHash,
      roles: [input.role],
      displayName: input.displayName ?? defaultDisplayName(input.email),
    });
    if (!account) throw conflict('an account with this e-mail already exists', { field: 'email' });
    return account;
  }

  async login(email: string, password: string, ip: string): Promise<Session> {
    const verdict = await this.throttle.check(email, ip);
    if (!verdict.allowed) {
      throw new DomainError('TOO_MANY_REQUESTS', 'too many failed logins: try again later', { retryAfterSeconds: verdict.retryAfterSeconds });
    }
    const account = await this.accounts.findByEmail(email);
    const valid = await this.hasher.verify(account?.passwordHash ?? (await this.decoyHash), password);
    if (!account || !valid) {
      await this.throttle.recordFailure(email, ip);
      throw unauthenticated('wrong e-mail or password');
    }
    await this.throttle.recordSuccess(email);
    return this.session(account, await this.refreshTokens.startFamily(account.id));
  }

  async refresh(refreshToken: string): Promise<Session> {
    const result = await this.refreshTokens.rotate(refreshToken);
    if (result.kind !== 'rotated') {
      const reasons = { unknown: 'unknown refresh token', expired: 'refresh token expired', revoked: 'refresh token revoked', reused: 'refresh token already used: every session of this login was revoked' };
      throw unauthenticated(reasons[result.kind]);
    }
    const [account] = await this.accounts.findByIds([result.accountId]);
    if (!account) throw unauthenticated('account no longer exists');
    return this.session(account, result.refreshToken);
  }

  logout(refreshToken: string): Promise<void> {
    return this.refreshTokens.revokeFamilyOf(refreshToken);
  }

  async deleteAccount(caller: Principal, accountId: string): Promise<void> {
    if (caller.userId !== accountId && !caller.roles.includes('hq_admin')) throw forbidden('only the account holder or an hq_admin can delete an account');
    if (!(await this.accounts.delete(accountId, caller.userId))) throw notFound('no such account');
  }

  async grantRole(caller: Principal, accountId: string, role: Role): Promise<AccountView> {
    if (!caller.roles.includes('hq_admin')) throw forbidden('only an hq_admin can grant roles');
    const account = await this.accounts.grantRole(accountId, role, caller.userId);
    if (!account) throw notFound('no such account');
    return account;
  }

  /**
   * The first hq_admin is an account the platform creates itself from configuration, never one somebody
   * registered: a stranger who signed up with the configured e-mail first must not become hq_admin.
   * `syncPassword` (development only) makes the configured password true for that account again, so
   * the credentials `npm start` prints always work, even against a database another checkout set up.
   */
  async ensureFirstAdmin(email: string, password: string, options: { syncPassword?: boolean } = {}): Promise<FirstAdminOutcome> {
    const existing = await this.accounts.findByEmail(email);
    if (existing?.roles.includes('hq_admin')) {
      if (!options.syncPassword || (await this.hasher.verify(existing.passwordHash, password))) return 'present';
      await this.accounts.setPasswordHash(existing.id, await this.hasher.hash(password));
      return 'password-reset';
    }
    if (existing) return 'email-taken';
    if (await this.accounts.anyWithRole('hq_admin')) return 'other-admin';
    const passwordHash = await this.hasher.hash(password);
    const created = await this.accounts.register({ email, passwordHash, roles: ['hq_admin'], displayName: 'HQ admin' });
    if (!created) return this.ensureFirstAdmin(email, password, options);
    return 'created';
  }

  private async session(account: AccountView, refreshToken: string): Promise<Session> {
    const { kid, privateKey } = this.keys.current();
    const accessToken = await new SignJWT({ roles: account.roles })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setSubject(account.id)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(`${this.settings.accessTokenTtlSeconds}s`)
      .sign(privateKey);
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.settings.accessTokenTtlSeconds,
      refreshToken,
      refreshExpiresIn: this.settings.refreshTokenTtlSeconds,
      user: account,
    };
  }
}
