import { Principal } from '../../platform/auth/principal';
import { ConflictError, ForbiddenError, NotFoundError } from '../../platform/errors';
import { TenantTransactions } from '../../platform/database/tenant-transactions';
import { emailAndNameFilter, EmailTakenError, nameSearchWithoutWords, WeakPasswordError } from './identity-errors';
import { hashPassword } from './password-hasher';
import { passwordProblems } from './password-policy';
import { SessionService } from './session.service';
import { displayNameSearch, UserRecord, UserRole, UserStatus } from './user.table';
import { UserChanges, UserRepository } from './user.repository';

export interface UserView {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
  status: UserStatus;
  createdAt: Date;
}

export interface NewUserRequest {
  email: string;
  displayName: string;
  password: string;
  role: UserRole;
}

export interface UserQuery {
  email?: string;
  q?: string;
  cursor?: string;
  limit: number;
}

export function toUserView(user: UserRecord): UserView {
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role, status: user.status, createdAt: user.createdAt };
}

/** What the user administration reads and writes; narrow so that a test can hand it fakes. */
export type UserStore = Pick<UserRepository, 'findById' | 'findByEmail' | 'create' | 'list' | 'searchByName' | 'credentialsById' | 'change'>;
export type SessionEnder = Pick<SessionService, 'end'>;

/** The tenant's user directory. Every id is looked up in the caller's tenant: a foreign id is simply not found. */
export class UsersService {
  constructor(
    private readonly transactions: Pick<TenantTransactions, 'run'>,
    private readonly users: UserStore,
    private readonly sessions: SessionEnder,
  ) {}

  async get(principal: Principal, id: string): Promise<UserView> {
    const user = await this.users.findById(principal.tenantId, id);
    if (!user) throw new NotFoundError('user');
    return toUserView(user);
  }

  async create(principal: Principal, request: NewUserRequest): Promise<UserView> {
    const problems = passwordProblems(request.password);
    if (problems.length > 0) throw new WeakPasswordError(problems);
    const passwordHash = await hashPassword(request.password);
    try {
      const user = await this.users.create({ tenantId: principal.tenantId, email: request.email, displayName: request.displayName, role: request.role, passwordHash });
      return toUserView(user);
    } catch (error) {
      if (error instanceof ConflictError) throw new EmailTakenError();
      throw error;
    }
  }

  async list(principal: Principal, query: UserQuery): Promise<{ items: UserView[]; nextCursor: string | null }> {
    if (query.email !== undefined && query.q !== undefined) {
      throw emailAndNameFilter();
    }
    if (query.email !== undefined) {
      const user = await this.users.findByEmail(principal.tenantId, query.email);
      return { items: user ? [toUserView(user)] : [], nextCursor: null };
    }
    const page = { limit: query.limit, afterId: query.cursor };
    let users: UserRecord[];
    if (query.q !== undefined) {
      if (displayNameSearch.termsOf(query.q).length === 0) {
        throw nameSearchWithoutWords();
      }
      users = await this.users.searchByName(principal.tenantId, query.q, page);
    } else {
      users = await this.users.list(principal.tenantId, page);
    }
    const nextCursor = users.length === query.limit ? users[users.length - 1].id : null;
    return { items: users.map(toUserView), nextCursor };
  }

  /** A role change or disabling ends the user's sessions in the same transaction. */
  async change(principal: Principal, id: string, changes: UserChanges): Promise<UserView> {
    if (id === principal.userId && (changes.role !== undefined || changes.status !== undefined)) {
      throw new ForbiddenError('You cannot change your own role or status; ask another administrator.');
    }
    return this.transactions.run(principal.tenantId, async () => {
      const before = await this.users.credentialsById(principal.tenantId, id);
      if (!before) throw new NotFoundError('user');
      const user = await this.users.change(principal.tenantId, id, changes);
      if (!user) throw new NotFoundError('user');
      if (changes.status === 'disabled' && before.status !== 'disabled') await this.sessions.end(principal.tenantId, { userId: id }, 'user_disabled');
      else if (changes.role !== undefined && changes.role !== before.role) await this.sessions.end(principal.tenantId, { userId: id }, 'role_changed');
      return toUserView(user);
    });
  }
}
