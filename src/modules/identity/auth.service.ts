import { PLATFORM_TENANT_ID } from '../../platform/audit/audit-event';
import { Principal } from '../../platform/auth/principal';
import { annotateAudit, bindCaller } from '../../platform/context/request-context';
import { blindIndex } from '../../platform/crypto/field-cipher';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { TenantLookup } from '../tenants';
import { InvalidCredentialsError, MfaInvalidError, MfaRequiredError, WeakPasswordError } from './identity-errors';
import { LoginAttemptKeys, LoginThrottle } from './login-throttle';
import { mfaRequiredFor, MfaService } from './mfa.service';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './password-hasher';
import { passwordProblems } from './password-policy';
import { ClientInfo, SessionService, TokenPair } from './session.service';
import { normalizeEmail } from './user.table';
import { UserRepository } from './user.repository';

export interface LoginRequest {
  tenant: string;
  email: string;
  password: string;
  totp?: string;
}

/**
 * Login and password change. Every refusal of a login looks the same from outside (status, body, time); the audit
 * event tells the auditor which it was, naming the principal only by a keyed hash when it is not a known user.
 */
export class AuthService {
  private readonly users: UserRepository;

  constructor(
    private readonly kit: PersistenceKit,
    private readonly tenants: TenantLookup,
    private readonly sessions: SessionService,
    private readonly mfa: MfaService,
    private readonly throttle: LoginThrottle,
  ) {
    this.users = new UserRepository(kit);
  }

  async login(request: LoginRequest, client: ClientInfo): Promise<TokenPair> {
    const email = normalizeEmail(request.email);
    const principalHash = await this.keyedHash('login-principal', `${request.tenant}\u0000${email}`);
    const keys = await this.attemptKeys(principalHash, client);
    bindCaller({ type: 'anonymous', id: `principal:${principalHash}` });
    await this.throttle.assertAllowed(keys);
    try {
      return await this.authenticate(request, email, principalHash, keys, client);
    } finally {
      await this.throttle.release(keys);
    }
  }

  private async authenticate(request: LoginRequest, email: string, principalHash: string, keys: LoginAttemptKeys, client: ClientInfo): Promise<TokenPair> {
    const tenant = await this.tenants.activeBySlug(request.tenant);
    if (!tenant) {
      await verifyAgainstDummy(request.password);
      return this.refuse(keys, 'unknown_tenant');
    }
    const tenantId = tenant.id;
    bindCaller({ type: 'anonymous', id: `principal:${principalHash}` }, tenantId);
    const { user, mfaEnrolled } = await this.kit.transactions.run(tenantId, async () => {
      const found = await this.users.credentialsByEmail(tenantId, email);
      return { user: found, mfaEnrolled: found ? await this.mfa.isEnrolled(tenantId, found.id) : false };
    });
    const passwordMatches = user?.passwordHash ? await verifyPassword(user.passwordHash, request.password) : await verifyAgainstDummy(request.password);
    if (!user) return this.refuse(keys, 'unknown_user');
    bindCaller({ type: 'user', id: user.id }, tenantId);
    if (!passwordMatches) return this.refuse(keys, 'wrong_password');
    if (user.status !== 'active') return this.refuse(keys, 'user_disabled');

    if (mfaEnrolled) {
      if (request.totp === undefined) {
        annotateAudit({ reason: 'mfa_required' });
        throw new MfaRequiredError();
      }
      if (!(await this.mfa.verifyAtLogin(tenantId, user.id, request.totp))) {
        await this.throttle.recordFailure(keys);
        annotateAudit({ reason: 'mfa_invalid' });
        throw new MfaInvalidError('login');
      }
    }
    if (user.passwordHash && needsRehash(user.passwordHash)) {
      await this.users.setPasswordHash(tenantId, user.id, await hashPassword(request.password), 'rehash');
    }
    await this.throttle.recordSuccess(keys);
    const { settings } = tenant;
    return this.sessions.start({
      tenantId,
      userId: user.id,
      role: user.role,
      authenticationMethods: mfaEnrolled ? ['pwd', 'otp'] : ['pwd'],
      mfaEnrolmentPending: !mfaEnrolled && mfaRequiredFor(user.role, settings.mfaRequired),
      settings,
      client,
    });
  }

  /** Checks the current password (throttled like a login), sets the new one and ends the caller's other sessions. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
    const keys = await this.attemptKeys(await this.keyedHash('password-change', principal.userId), client);
    await this.throttle.assertAllowed(keys);
    try {
      await this.replacePassword(principal, currentPassword, newPassword, keys);
    } finally {
      await this.throttle.release(keys);
    }
  }

  private async replacePassword(principal: Principal, currentPassword: string, newPassword: string, keys: LoginAttemptKeys): Promise<void> {
    const user = await this.users.credentialsById(principal.tenantId, principal.userId);
    if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, currentPassword))) return this.refuse(keys, 'wrong_password');
    const problems = passwordProblems(newPassword);
    if (problems.length > 0) throw new WeakPasswordError(problems);
    const passwordHash = await hashPassword(newPassword);
    await this.throttle.recordSuccess(keys);
    const ended = await this.kit.transactions.run(principal.tenantId, async () => {
      await this.users.setPasswordHash(principal.tenantId, principal.userId, passwordHash, 'password_changed');
      return this.sessions.endOthers(principal.tenantId, principal.userId, principal.sessionId, 'password_changed');
    });
    annotateAudit({ sessionsEnded: String(ended.length) });
  }

  private async refuse(keys: LoginAttemptKeys, reason: string): Promise<never> {
    await this.throttle.recordFailure(keys);
    annotateAudit({ reason });
    throw new InvalidCredentialsError();
  }

  private async attemptKeys(principalHash: string, client: ClientInfo): Promise<LoginAttemptKeys> {
    const ip = await this.keyedHash('ip', client.ip ?? 'unknown');
    return { ip, accountIp: `${principalHash}:${ip}` };
  }

  /** HMAC under the platform's index key: stable across instances, useless without the key, never the value. */
  private async keyedHash(purpose: string, value: string): Promise<string> {
    const { key } = await this.kit.keys.current(PLATFORM_TENANT_ID, 'index');
    return blindIndex(key, `${purpose}\u0000${value}`).toString('hex').slice(0, 32);
  }
}
