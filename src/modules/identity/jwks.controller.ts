import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../../platform/auth/access.decorators';
import { PublishedJwk, SigningKeyRing } from '../../platform/auth/signing-keys';
import { SkipHttpAudit } from '../../platform/http/skip-http-audit.decorator';

/** Public keys only; verifiers (Centrifugo, other services) cache it. Not audited: it touches no PHI. */
@ApiTags('auth')
@Public()
@SkipHttpAudit()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeyRing) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOkResponse({ description: 'RFC 7517 JSON Web Key Set of the ES256 access-token signing keys.' })
  jwks(): Promise<{ keys: PublishedJwk[] }> {
    return this.keys.jwks();
  }
}
