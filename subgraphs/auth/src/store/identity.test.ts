import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { createLogger, createTokenVerifier, DomainError, mariadbAdapter, type Principal } from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { AccountStore } from './accounts';
import { PrismaClient } from './generated/client';
import { argon2Hasher, Identity, type PasswordHasher } from './identity';
import { LoginThrottle } from './login-throttle';
import { RefreshTokens } from './refresh-tokens';
import { SigningKeys } from './signing-keys';

const settings = { issuer: 'x-auth', audience: 'x-platform', accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 3600 };
const password = 'correct horse battery';
const log = createLogger('auth-test', 'silent');

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: PrismaClient;
let redis: Redis;
let keys: SigningKeys;
let identity: Identity;
let throttle: LoginThrottle;
let verify: (token: string) => Promise<Principal>;
const wakes: number[] = [];

beforeAll(async () => {
  database = await createTestDatabase('auth_identity', path.resolve(__dirname, '../../../../prisma/auth/migrations'));
  db = new PrismaClient({ adapter: mariadbAdapter(database.url, 5) });
  redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
  keys = new SigningKeys(db);
  await keys.load();
  throttle = new LoginThrottle(redis, { maxFailuresPerAccount: 3, maxFailuresPerIp: 100, windowSeconds: 60 }, log);
  identity = new Identity(new AccountStore(db, { wake: () => wakes.push(Date.now()) }), new RefreshTokens(db, 3600), keys, throttle, settings);
  verify = createTokenVerifier({ jwksUrl: 'http://unused.invalid', issuer: settings.issuer, audience: settings.audience }, keys.verificationKey);
});

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
  await database.drop();
});

const uniqueEmail = () => `person-${randomUUID()}@example.com`;
const uniqueIp = () => `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

async function outboxTypes(subject: string): Promise<string[]> {
  const rows = await db.outboxEvent.findMany({ orderBy: { seq: 'asc' } });
  return rows.filter((row) => (JSON.parse(row.payload) as { subject: string }).subject === subject).map((row) => row.type);
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('registration', () => {
  it('stores the account and its auth.user.registered event in one transaction', async () => {
    const email = uniqueEmail();
    const account = await identity.register({ email, password, role: 'store_owner' });
    expect(account.roles).toEqual(['store_owner']);
    expect(await outboxTypes(account.id)).toEqual(['auth.user.registered']);
    const stored = await db.account.findUniqueOrThrow({ where: { id: account.id } });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(wakes.length).toBeGreaterThan(0);
  });

  it('refuses an e-mail already taken, even when two sign-ups race', async () => {
    const email = uniqueEmail();
    const outcomes = await Promise.all([1, 2, 3].map(() => codeOf(identity.register({ email, password, role: 'customer' }))));
    expect(outcomes.sort()).toEqual(['CONFLICT', 'CONFLICT', 'no error']);
    expect(await db.account.count({ where: { email } })).toBe(1);
    const registered = (await db.outboxEvent.findMany({ where: { type: 'auth.user.registered' } })).filter((row) => row.payload.includes(email));
    expect(registered).toHaveLength(1);
  });
});

describe('login', () => {
  it('issues an EdDSA access token with kid that the kit verifies, and a refresh token', async () => {
    const email = uniqueEmail();
    const account = await identity.register({ email, password, role: 'courier' });
    const session = await identity.login(email, password, uniqueIp());
    const header = JSON.parse(Buffer.from(session.accessToken.split('.')[0]!, 'base64url').toString()) as Record<string, string>;
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: keys.current().kid });
    await expect(verify(session.accessToken)).resolves.toEqual({ userId: account.id, roles: ['courier'] });
    expect(session.refreshToken).toHaveLength(43);
  });

  it('answers a wrong password and an unknown e-mail with the same error', async () => {
    const email = uniqueEmail();
    await identity.register({ email, password, role: 'customer' });
    const wrongPassword = await identity.login(email, 'not the password', uniqueIp()).catch((error: DomainError) => error);
    const unknownEmail = await identity.login(uniqueEmail(), 'not the password', uniqueIp()).catch((error: DomainError) => error);
    expect(wrongPassword).toBeInstanceOf(DomainError);
    expect(unknownEmail).toBeInstanceOf(DomainError);
    expect([(wrongPassword as DomainError).code, (wrongPassword as DomainError).message]).toEqual([(unknownEmail as DomainError).code, (unknownEmail as DomainError).message]);
  });

  it('does the same work for an unknown e-mail as for a wrong password: one argon2id verification with the same parameters', async () => {
    // The parameters part of each hash verified against ($argon2id$v=19$m=…,t=…,p=…): what a verification costs.
    const verified: string[] = [];
    const counting: PasswordHasher = {
      hash: (password) => argon2Hasher.hash(password),
      verify: (hash, password) => {
        verified.push(hash.split('$').slice(1, 4).join('$'));
        return argon2Hasher.verify(hash, password);
      },
    };
    const observed = new Identity(new AccountStore(db, { wake: () => {} }), new RefreshTokens(db, 3600), keys, throttle, settings, counting);
    const email = uniqueEmail();
    await identity.register({ email, password, role: 'customer' });
    const refusal = async (work: Promise<unknown>) => {
      const error = await work.then(() => undefined, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(DomainError);
      const { code, message, details } = error as DomainError;
      return { code, message, details, verifications: verified.splice(0) };
    };

    const wrongPassword = await refusal(observed.login(email, 'not the password', uniqueIp()));
    const unknownEmail = await refusal(observed.login(uniqueEmail(), 'not the password', uniqueIp()));
    expect(wrongPassword.verifications).toEqual([expect.stringMatching(/^argon2id\$v=19\$m=19456,/)]);
    expect(unknownEmail).toEqual(wrongPassword);
  });

  it('throttles an account after repeated failures, even with the right password', async () => {
    const email = uniqueEmail();
    await identity.register({ email, password, role: 'customer' });
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await codeOf(identity.login(email, 'wrong password!', uniqueIp()))).toBe('UNAUTHENTICATED');
    const refused = await identity.login(email, password, uniqueIp()).catch((error: DomainError) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('TOO_MANY_REQUESTS');
    expect((refused as DomainError).details?.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe('access tokens', () => {
  it('refuses a tampered, an expired, an unsigned and a foreign-key token', async () => {
    const email = uniqueEmail();
    const account = await identity.register({ email, password, role: 'customer' });
    const { accessToken } = await identity.login(email, password, uniqueIp());
    const [header, payload, signature] = accessToken.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['hq_admin'] })).toString('base64url');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: keys.current().kid })).toString('base64url')}.${payload}.`;
    const expired = await new SignJWT({ roles: ['customer'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.current().kid, typ: 'at+jwt' })
      .setSubject(account.id)
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(keys.current().privateKey);
    const otherKid = `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: randomUUID() })).toString('base64url')}.${payload}.${signature}`;
    for (const token of [`${header}.${forged}.${signature}`, unsigned, expired, otherKid]) {
      expect(await codeOf(verify(token))).toBe('UNAUTHENTICATED');
    }
  });
});

describe('refresh tokens', () => {
  it('rotates, and a reused token revokes its whole family', async () => {
    const email = uniqueEmail();
    await identity.register({ email, password, role: 'customer' });
    const first = await identity.login(email, password, uniqueIp());
    const second = await identity.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(await codeOf(identity.refresh(first.refreshToken))).toBe('UNAUTHENTICATED');
    // The thief's reuse also ends the legitimate holder's session.
    expect(await codeOf(identity.refresh(second.refreshToken))).toBe('UNAUTHENTICATED');
  });

  it('lets exactly one of two concurrent refreshes with the same token win', async () => {
    const email = uniqueEmail();
    await identity.register({ email, password, role: 'customer' });
    const { refreshToken } = await identity.login(email, password, uniqueIp());
    const outcomes = await Promise.all([codeOf(identity.refresh(refreshToken)), codeOf(identity.refresh(refreshToken))]);
    expect(outcomes.sort()).toEqual(['UNAUTHENTICATED', 'no error']);
  });

  it('stops working after logout', async () => {
    const email = uniqueEmail();
    await identity.register({ email, password, role: 'customer' });
    const { refreshToken } = await identity.login(email, password, uniqueIp());
    await identity.logout(refreshToken);
    expect(await codeOf(identity.refresh(refreshToken))).toBe('UNAUTHENTICATED');
  });
});

describe('accounts', () => {
  it('deletes an account with its tokens and publishes auth.user.deleted; only the holder or hq_admin may', async () => {
    const email = uniqueEmail();
    const account = await identity.register({ email, password, role: 'customer' });
    await identity.login(email, password, uniqueIp());
    const stranger: Principal = { userId: randomUUID(), roles: ['customer'] };
    expect(await codeOf(identity.deleteAccount(stranger, account.id))).toBe('FORBIDDEN');
    await identity.deleteAccount({ userId: account.id, roles: ['customer'] }, account.id);
    expect(await db.account.count({ where: { id: account.id } })).toBe(0);
    expect(await db.refreshToken.count({ where: { accountId: account.id } })).toBe(0);
    expect(await outboxTypes(account.id)).toEqual(['auth.user.registered', 'auth.user.deleted']);
    expect(await codeOf(identity.deleteAccount({ userId: randomUUID(), roles: ['hq_admin'] }, account.id))).toBe('NOT_FOUND');
  });

  it('creates the first hq_admin from configuration once, never from an account a stranger registered; only an hq_admin grants roles', async () => {
    const squatted = uniqueEmail();
    const squatter = await identity.register({ email: squatted, password, role: 'customer' });
    expect(await identity.ensureFirstAdmin(squatted, 'another password 1')).toBe('email-taken');
    expect((await identity.login(squatted, password, uniqueIp())).user.roles).toEqual(['customer']);
    expect(await outboxTypes(squatter.id)).toEqual(['auth.user.registered']);

    const adminEmail = uniqueEmail();
    expect(await identity.ensureFirstAdmin(adminEmail, password)).toBe('created');
    expect(await identity.ensureFirstAdmin(adminEmail, password)).toBe('present');
    expect(await identity.ensureFirstAdmin(uniqueEmail(), password)).toBe('other-admin');
    const admin = await identity.login(adminEmail, password, uniqueIp());
    expect(admin.user.roles).toEqual(['hq_admin']);

    const person = await identity.register({ email: uniqueEmail(), password, role: 'customer' });
    expect(await codeOf(identity.grantRole({ userId: person.id, roles: ['customer'] }, person.id, 'hq_admin'))).toBe('FORBIDDEN');
    const granted = await identity.grantRole({ userId: admin.user.id, roles: ['hq_admin'] }, person.id, 'courier');
    expect(granted.roles).toEqual(['courier', 'customer']);
    await identity.grantRole({ userId: admin.user.id, roles: ['hq_admin'] }, person.id, 'courier');
    expect(await outboxTypes(person.id)).toEqual(['auth.user.registered', 'auth.user.role-granted']);
  });

  it('makes the configured hq_admin password true again in development, ending sessions opened with the old one', async () => {
    const adminEmail = uniqueEmail();
    const other = new Identity(new AccountStore(db, { wake: () => {} }), new RefreshTokens(db, 3600), keys, throttle, settings);
    await db.accountRole.deleteMany({ where: { role: 'hq_admin' } });
    expect(await other.ensureFirstAdmin(adminEmail, password)).toBe('created');
    const before = await other.login(adminEmail, password, uniqueIp());
    // A second checkout prints its own generated password for the same database.
    const printed = 'printed by another checkout';
    expect(await other.ensureFirstAdmin(adminEmail, printed)).toBe('present');
    expect(await codeOf(other.login(adminEmail, printed, uniqueIp()))).toBe('UNAUTHENTICATED');
    expect(await other.ensureFirstAdmin(adminEmail, printed, { syncPassword: true })).toBe('password-reset');
    expect((await other.login(adminEmail, printed, uniqueIp())).user.roles).toEqual(['hq_admin']);
    expect(await codeOf(other.login(adminEmail, password, uniqueIp()))).toBe('UNAUTHENTICATED');
    expect(await codeOf(other.refresh(before.refreshToken))).toBe('UNAUTHENTICATED');
    expect(await other.ensureFirstAdmin(adminEmail, printed, { syncPassword: true })).toBe('present');
  });
});
