import { Principal } from '../../platform/auth/principal';
import { SessionLiveness } from '../../platform/auth/session-liveness';
import { ConflictError, ForbiddenError, NotFoundError } from '../../platform/errors';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { TenantRegistry } from '../tenants';
import { MfaInvalidError } from './identity-errors';
import { SessionRepository } from './session.repository';
import { newTotpSecret, totpUri, verifyTotp } from './totp';
import { UserTotpRepository } from './user-totp.repository';
import { UserRepository } from './user.repository';

const TOTP_ISSUER = 'Sealed Channels';

/** Roles that must enrol when their tenant sets mfaRequired. */
export function mfaRequiredFor(role: Principal['role'], mfaRequired: boolean): boolean {
  return mfaRequired && role !== 'member';
}

/** TOTP enrolment, confirmation, removal, and the check at login. A code is accepted once. */
export class MfaService {
  private readonly totps: UserTotpRepository;
  private readonly users: UserRepository;
  private readonly sessions: SessionRepository;

  constructor(
    private readonly kit: PersistenceKit,
    private readonly liveness: SessionLiveness,
    private readonly tenants: Pick<TenantRegistry, 'securitySettingsOf'>,
  ) {
    this.totps = new UserTotpRepository(kit);
    this.users = new UserRepository(kit);
    this.sessions = new SessionRepository(kit);
  }

  isEnrolled(tenantId: string, userId: string): Promise<boolean> {
    return this.totps.isConfirmed(tenantId, userId);
  }

  async enroll(principal: Principal): Promise<{ secret: string; otpauthUrl: string }> {
    if (await this.totps.isConfirmed(principal.tenantId, principal.userId)) {
      throw new ConflictError('An authenticator is already confirmed; remove it before enrolling another.');
    }
    const user = await this.users.findById(principal.tenantId, principal.userId);
    if (!user) throw new NotFoundError('user');
    const secret = newTotpSecret();
    await this.totps.replaceUnconfirmed(principal.tenantId, principal.userId, secret);
    return { secret, otpauthUrl: totpUri(secret, TOTP_ISSUER, user.email) };
  }

  async confirm(principal: Principal, code: string): Promise<void> {
    const totp = await this.totps.find(principal.tenantId, principal.userId);
    if (!totp || totp.confirmedAt !== null) throw new ConflictError('There is no authenticator enrolment waiting for confirmation.');
    await this.kit.transactions.run(principal.tenantId, async () => {
      if (!(await this.accept(principal.tenantId, principal.userId, totp.secret, totp.lastUsedStep, code, true))) throw new MfaInvalidError('session');
      await this.sessions.clearMfaEnrolmentPending(principal.tenantId, principal.userId);
    });
    this.liveness.forget(principal.tenantId, [principal.sessionId]);
  }

  async remove(principal: Principal, code: string): Promise<void> {
    const settings = await this.tenants.securitySettingsOf(principal.tenantId);
    if (settings && mfaRequiredFor(principal.role, settings.mfaRequired)) {
      throw new ForbiddenError('Your organisation requires multi-factor authentication for your role.');
    }
    const totp = await this.totps.find(principal.tenantId, principal.userId);
    if (!totp || totp.confirmedAt === null) throw new NotFoundError('authenticator');
    await this.kit.transactions.run(principal.tenantId, async () => {
      if (!(await this.accept(principal.tenantId, principal.userId, totp.secret, totp.lastUsedStep, code, false))) throw new MfaInvalidError('session');
      await this.totps.remove(principal.tenantId, principal.userId);
    });
  }

  /** True when the code is right and not used before; records its step so it is never accepted again. */
  async verifyAtLogin(tenantId: string, userId: string, code: string): Promise<boolean> {
    const totp = await this.totps.find(tenantId, userId);
    if (!totp || totp.confirmedAt === null) return false;
    return this.accept(tenantId, userId, totp.secret, totp.lastUsedStep, code, false);
  }

  private async accept(tenantId: string, userId: string, secret: string, lastUsedStep: string | null, code: string, confirm: boolean): Promise<boolean> {
    const step = await verifyTotp(secret, code, lastUsedStep === null ? null : Number(lastUsedStep));
    return step !== null && this.totps.useStep(tenantId, userId, lastUsedStep, step, confirm);
  }
}
