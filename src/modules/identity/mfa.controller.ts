import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AllowedDuringMfaEnrolment, CurrentPrincipal, RequirePermission } from '../../platform/auth/access.decorators';
import { Principal } from '../../platform/auth/principal';
import { AuditAction } from '../../platform/http/http-audit';
import { TotpCodeDto, TotpEnrolmentDto } from './auth.dto';
import { MfaService } from './mfa.service';

@ApiTags('auth')
@Controller('v1/auth/mfa/totp')
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Post('enroll')
  @RequirePermission('account.manage')
  @AllowedDuringMfaEnrolment()
  @HttpCode(200)
  @AuditAction('auth.mfa.enroll')
  @ApiOkResponse({ type: TotpEnrolmentDto })
  enroll(@CurrentPrincipal() principal: Principal): Promise<TotpEnrolmentDto> {
    return this.mfa.enroll(principal);
  }

  @Post('confirm')
  @RequirePermission('account.manage')
  @AllowedDuringMfaEnrolment()
  @HttpCode(204)
  @AuditAction('auth.mfa.confirm')
  async confirm(@CurrentPrincipal() principal: Principal, @Body() body: TotpCodeDto): Promise<void> {
    await this.mfa.confirm(principal, body.code);
  }

  /** Needs a current code, so a stolen access token alone cannot switch MFA off. */
  @Delete()
  @RequirePermission('account.manage')
  @HttpCode(204)
  @AuditAction('auth.mfa.remove')
  async remove(@CurrentPrincipal() principal: Principal, @Body() body: TotpCodeDto): Promise<void> {
    await this.mfa.remove(principal, body.code);
  }
}
