import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AllowedDuringMfaEnrolment, CurrentPrincipal, Public, RequirePermission } from '../../platform/auth/access.decorators';
import { Principal } from '../../platform/auth/principal';
import { AuditAction } from '../../platform/http/http-audit';
import { NotFoundError } from '../../platform/errors';
import { ChangePasswordDto, LoginDto, RefreshTokenDto, SessionListDto, TokenPairDto } from './auth.dto';
import { AuthService } from './auth.service';
import { ClientInfo, SessionService, TokenPair } from './session.service';

export function clientOf(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : undefined };
}

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService, private readonly sessions: SessionService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @AuditAction('auth.login')
  @ApiOkResponse({ type: TokenPairDto })
  login(@Body() body: LoginDto, @Req() request: FastifyRequest): Promise<TokenPair> {
    return this.auth.login(body, clientOf(request));
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @AuditAction('auth.refresh')
  @ApiOkResponse({ type: TokenPairDto })
  refresh(@Body() body: RefreshTokenDto): Promise<TokenPair> {
    return this.sessions.refresh(body.refreshToken);
  }

  /** Idempotent: an unknown or already-ended token answers 204 too, and reveals nothing. */
  @Post('logout')
  @Public()
  @HttpCode(204)
  @AuditAction('auth.logout')
  async logout(@Body() body: RefreshTokenDto): Promise<void> {
    await this.sessions.endByRefreshToken(body.refreshToken);
  }

  @Post('logout-all')
  @RequirePermission('account.manage')
  @AllowedDuringMfaEnrolment()
  @HttpCode(204)
  @AuditAction('auth.logout_all')
  async logoutAll(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.sessions.end(principal.tenantId, { userId: principal.userId }, 'logout_all');
  }

  @Get('sessions')
  @RequirePermission('account.manage')
  @AuditAction('auth.session.list')
  @ApiOkResponse({ type: SessionListDto })
  async listSessions(@CurrentPrincipal() principal: Principal): Promise<SessionListDto> {
    const sessions = await this.sessions.listUsable(principal.tenantId, principal.userId);
    return {
      items: sessions.map((session) => ({
        id: session.id,
        createdAt: session.createdAt,
        lastUsedAt: session.lastUsedAt,
        ip: session.ip,
        userAgent: session.userAgent,
        current: session.id === principal.sessionId,
      })),
    };
  }

  @Delete('sessions/:id')
  @RequirePermission('account.manage')
  @HttpCode(204)
  @AuditAction('auth.session.revoke')
  async revokeSession(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    if (!(await this.sessions.ownedSession(principal.tenantId, principal.userId, id))) throw new NotFoundError('session');
    await this.sessions.end(principal.tenantId, { sessionId: id }, 'session_revoked');
  }

  @Post('password')
  @RequirePermission('account.manage')
  @HttpCode(204)
  @AuditAction('auth.password.change')
  async changePassword(@CurrentPrincipal() principal: Principal, @Body() body: ChangePasswordDto, @Req() request: FastifyRequest): Promise<void> {
    await this.auth.changePassword(principal, body.currentPassword, body.newPassword, clientOf(request));
  }
}
