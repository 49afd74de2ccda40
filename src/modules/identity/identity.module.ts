import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { AccessTokenIssuer } from '../../platform/auth/access-token';
import { AccessTokenStrategy } from '../../platform/auth/access-token.strategy';
import { AccessTokenGuard } from '../../platform/auth/access.guard';
import { RolePolicy } from '../../platform/auth/role-policy';
import { SessionLiveness } from '../../platform/auth/session-liveness';
import { SigningKeyRing } from '../../platform/auth/signing-keys';
import { PersistenceKit } from '../../platform/persistence/tenant-scoped.repository';
import { RateLimiters } from '../../platform/rate-limit/rate-limiters';
import { AppConfig } from '../../config/app-config';
import { TenantLookup, TenantRegistry, TenantsModule } from '../tenants';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwksController } from './jwks.controller';
import { LoginThrottle } from './login-throttle';
import { MfaController } from './mfa.controller';
import { MfaService } from './mfa.service';
import { SessionRepository } from './session.repository';
import { SessionService } from './session.service';
import { UserDirectory } from './user-directory';
import { UserRepository } from './user.repository';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/**
 * Who is calling: login, sessions, MFA, the user directory, and the pieces every other module's routes stand on
 * (the access-token strategy, session liveness, the role policy), exported for the global access guard; the user
 * directory for the modules that name users.
 */
@Module({
  imports: [TenantsModule],
  controllers: [AuthController, MfaController, UsersController, JwksController],
  providers: [
    { provide: RolePolicy, useFactory: () => RolePolicy.load() },
    {
      provide: SessionLiveness,
      inject: [PersistenceKit, AppConfig],
      useFactory: (kit: PersistenceKit, config: AppConfig) => {
        const sessions = new SessionRepository(kit);
        return new SessionLiveness((tenantId, sessionId) => sessions.state(tenantId, sessionId), config.SESSION_CHECK_CACHE_MS);
      },
    },
    {
      provide: AccessTokenIssuer,
      inject: [SigningKeyRing, AppConfig],
      useFactory: (keys: SigningKeyRing, config: AppConfig) => new AccessTokenIssuer(keys, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
    },
    AccessTokenStrategy,
    AccessTokenGuard,
    {
      provide: LoginThrottle,
      inject: [RateLimiters, AppConfig],
      useFactory: (limiters: RateLimiters, config: AppConfig) => new LoginThrottle(limiters, {
        freeFailuresPerAccountIp: config.LOGIN_FREE_FAILURES,
        maxDelaySeconds: 900,
        maxFailuresPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
        ipWindowSeconds: 900,
      }),
    },
    {
      provide: SessionService,
      inject: [PersistenceKit, AccessTokenIssuer, SessionLiveness, TenantLookup],
      useFactory: (kit: PersistenceKit, issuer: AccessTokenIssuer, liveness: SessionLiveness, tenants: TenantLookup) =>
        new SessionService(kit, issuer, liveness, tenants),
    },
    {
      provide: MfaService,
      inject: [PersistenceKit, SessionLiveness, TenantRegistry],
      useFactory: (kit: PersistenceKit, liveness: SessionLiveness, tenants: TenantRegistry) => new MfaService(kit, liveness, tenants),
    },
    {
      provide: AuthService,
      inject: [PersistenceKit, TenantLookup, SessionService, MfaService, LoginThrottle],
      useFactory: (kit: PersistenceKit, tenants: TenantLookup, sessions: SessionService, mfa: MfaService, throttle: LoginThrottle) =>
        new AuthService(kit, tenants, sessions, mfa, throttle),
    },
    {
      provide: UsersService,
      inject: [PersistenceKit, SessionService],
      useFactory: (kit: PersistenceKit, sessions: SessionService) => new UsersService(kit.transactions, new UserRepository(kit), sessions),
    },
    { provide: UserDirectory, inject: [PersistenceKit], useFactory: (kit: PersistenceKit) => new UserDirectory(kit) },
  ],
  exports: [RolePolicy, SessionLiveness, AccessTokenStrategy, AccessTokenGuard, AccessTokenIssuer, UserDirectory],
})
export class IdentityModule implements OnApplicationBootstrap {
  constructor(private readonly keys: SigningKeyRing) {}

  /** The JWKS is never empty: the first instance to boot creates the first signing key. */
  async onApplicationBootstrap(): Promise<void> {
    await this.keys.signingKey();
  }
}
