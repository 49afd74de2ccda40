import { randomUUID } from 'node:crypto';
import { Principal } from '../../platform/auth/principal';
import { TenantTransactions, TenantTx } from '../../platform/database/tenant-transactions';
import { AppError, ErrorCode } from '../../platform/errors';
import { SessionSelector } from './session.repository';
import { SessionEndReason } from './session.table';
import { Credentials, NewUser, UserChanges, UserPage } from './user.repository';
import { UserRecord } from './user.table';
import { SessionEnder, UsersService, UserStore } from './users.service';

const TENANT = randomUUID();

class FakeTransactions implements Pick<TenantTransactions, 'run'> {
  run<T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    return work({ tenantId, query: () => Promise.reject(new Error('no database in a unit test')), onCommit: () => undefined });
  }
}

class FakeUsers implements UserStore {
  readonly rows = new Map<string, UserRecord>();

  add(role: UserRecord['role']): UserRecord {
    const at = new Date();
    const user: UserRecord = { id: randomUUID(), tenantId: TENANT, email: `${randomUUID()}@clinic.test`, displayName: 'Dr Who', role, status: 'active', passwordHash: null, createdAt: at, updatedAt: at };
    this.rows.set(user.id, user);
    return user;
  }

  async findById(_tenantId: string, id: string): Promise<UserRecord | null> {
    return this.rows.get(id) ?? null;
  }

  async findByEmail(_tenantId: string, email: string): Promise<UserRecord | null> {
    return [...this.rows.values()].find((user) => user.email === email) ?? null;
  }

  async create(user: NewUser): Promise<UserRecord> {
    const at = new Date();
    const created: UserRecord = { ...user, id: randomUUID(), status: 'active', createdAt: at, updatedAt: at };
    this.rows.set(created.id, created);
    return created;
  }

  async list(_tenantId: string, page: UserPage): Promise<UserRecord[]> {
    return [...this.rows.values()].slice(0, page.limit);
  }

  async searchByName(_tenantId: string, query: string, page: UserPage): Promise<UserRecord[]> {
    return [...this.rows.values()].filter((user) => user.displayName.toLowerCase().includes(query.toLowerCase())).slice(0, page.limit);
  }

  async credentialsById(_tenantId: string, id: string): Promise<Credentials | null> {
    return this.rows.get(id) ?? null;
  }

  async change(_tenantId: string, id: string, changes: UserChanges): Promise<UserRecord | null> {
    const user = this.rows.get(id);
    if (!user) return null;
    const changed = { ...user, ...changes };
    this.rows.set(id, changed);
    return changed;
  }
}

class FakeSessions implements SessionEnder {
  readonly ended: { selector: SessionSelector; reason: SessionEndReason }[] = [];

  async end(_tenantId: string, selector: SessionSelector, reason: SessionEndReason): Promise<string[]> {
    this.ended.push({ selector, reason });
    return [];
  }
}

function setup() {
  const users = new FakeUsers();
  const sessions = new FakeSessions();
  const admin = users.add('tenant_admin');
  const caller: Principal = { userId: admin.id, tenantId: TENANT, role: 'tenant_admin', sessionId: randomUUID(), tokenId: randomUUID(), authenticationMethods: ['pwd'] };
  return { users, sessions, admin, caller, service: new UsersService(new FakeTransactions(), users, sessions) };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(() => undefined, (reason: unknown) => reason);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('UsersService.change', () => {
  it('refuses an administrator changing their own role or status, and changes nothing', async () => {
    const { users, sessions, admin, caller, service } = setup();
    expect((await rejection(service.change(caller, admin.id, { role: 'member' }))).code).toBe(ErrorCode.FORBIDDEN);
    expect((await rejection(service.change(caller, admin.id, { status: 'disabled' }))).code).toBe(ErrorCode.FORBIDDEN);
    expect(users.rows.get(admin.id)).toEqual(admin);
    expect(sessions.ended).toEqual([]);
  });

  it('lets an administrator change their own display name', async () => {
    const { admin, caller, service } = setup();
    expect((await service.change(caller, admin.id, { displayName: 'Dr Who, MD' })).displayName).toBe('Dr Who, MD');
  });

  it('ends the sessions of a user whose role changes, or who is disabled, and of no one otherwise', async () => {
    const { users, sessions, caller, service } = setup();
    const member = users.add('member');
    await service.change(caller, member.id, { displayName: 'Nurse Joy' });
    await service.change(caller, member.id, { role: 'member' });
    expect(sessions.ended).toEqual([]);
    await service.change(caller, member.id, { role: 'compliance_officer' });
    await service.change(caller, member.id, { status: 'disabled' });
    await service.change(caller, member.id, { status: 'disabled' });
    expect(sessions.ended).toEqual([
      { selector: { userId: member.id }, reason: 'role_changed' },
      { selector: { userId: member.id }, reason: 'user_disabled' },
    ]);
  });

  it('answers 404 for an id that is not a user of the tenant', async () => {
    const { caller, service } = setup();
    expect((await rejection(service.change(caller, randomUUID(), { role: 'member' }))).code).toBe(ErrorCode.NOT_FOUND);
  });
});
