import { randomUUID } from 'node:crypto';
import { AuthUserDeleted, AuthUserRegistered, AuthUserRoleGranted, buildEvent, enqueueEvent, roleSchema, type Role } from '@x/kit';
import { Prisma, type PrismaClient } from './generated/client';

export interface AccountView {
  id: string;
  email: string;
  roles: Role[];
}

export interface StoredAccount extends AccountView {
  passwordHash: string;
}

const withRoles = { roles: { select: { role: true }, orderBy: { role: 'asc' } } } as const;

type AccountRow = Prisma.AccountGetPayload<{ include: typeof withRoles }>;

/** Accounts and their roles. Each change is written with its event in one transaction (outbox). */
export class AccountStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly relay: { wake(): void },
  ) {}

  async findByEmail(email: string): Promise<StoredAccount | null> {
    const row = await this.db.account.findUnique({ where: { email }, include: withRoles });
    return row ? toStored(row) : null;
  }

  async findByIds(ids: readonly string[]): Promise<AccountView[]> {
    const rows = await this.db.account.findMany({ where: { id: { in: [...ids] } }, include: withRoles });
    return rows.map(toView);
  }

  /** Returns null when the e-mail is taken (the unique key decides, so two racing sign-ups cannot both win). */
  async register(input: { email: string; passwordHash: string; roles: Role[]; displayName: string }): Promise<AccountView | null> {
    const id = randomUUID();
    try {
      await this.db.$transaction(async (tx) => {
        await tx.account.create({
          data: { id, email: input.email, passwordHash: input.passwordHash, roles: { create: input.roles.map((role) => ({ role })) } },
        });
        await enqueueEvent(
          tx,
          buildEvent(AuthUserRegistered, id, { userId: id, email: input.email, roles: input.roles, displayName: input.displayName }),
        );
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return null;
      throw error;
    }
    this.relay.wake();
    return { id, email: input.email, roles: [...input.roles].sort() };
  }

  /** Idempotent: granting a role the account has changes nothing and publishes nothing. `grantedBy` null means configuration. */
  async grantRole(accountId: string, role: Role, grantedBy: string | null): Promise<AccountView | null> {
    const granted = await this.db.$transaction(async (tx) => {
      const account = await tx.account.findUnique({ where: { id: accountId }, include: withRoles });
      if (!account) return null;
      if (account.roles.some((r) => r.role === role)) return toView(account);
      await tx.accountRole.create({ data: { accountId, role, grantedBy } });
      await enqueueEvent(tx, buildEvent(AuthUserRoleGranted, accountId, { userId: accountId, role, grantedBy }));
      return toView(await tx.account.findUniqueOrThrow({ where: { id: accountId }, include: withRoles }));
    });
    this.relay.wake();
    return granted;
  }

  /** Erases the credentials (refresh tokens and roles cascade) and announces it to every service. */
  async delete(accountId: string, deletedBy: string): Promise<boolean> {
    const deleted = await this.db.$transaction(async (tx) => {
      const { count } = await tx.account.deleteMany({ where: { id: accountId } });
      if (count === 0) return false;
      await enqueueEvent(tx, buildEvent(AuthUserDeleted, accountId, { userId: accountId, deletedBy }));
      return true;
    });
    if (deleted) this.relay.wake();
    return deleted;
  }

  /** A new password hash, with the account's refresh tokens revoked: sessions opened with the old password end. */
  async setPasswordHash(accountId: string, passwordHash: string): Promise<void> {
    await this.db.$transaction([
      this.db.account.update({ where: { id: accountId }, data: { passwordHash } }),
      this.db.refreshToken.deleteMany({ where: { accountId } }),
    ]);
  }

  async anyWithRole(role: Role): Promise<boolean> {
    return (await this.db.accountRole.count({ where: { role } })) > 0;
  }
}

function toView(row: AccountRow): AccountView {
  return { id: row.id, email: row.email, roles: row.roles.map((r) => roleSchema.parse(r.role)) };
}

function toStored(row: AccountRow): StoredAccount {
  return { ...toView(row), passwordHash: row.passwordHash };
}
