import { SetMetadata, type CustomDecorator } from '@nestjs/common';

/** Metadata key the HTTP audit interceptor reads: infrastructure probes (health, metrics) are not audited. */
export const SKIP_HTTP_AUDIT = 'http:skip-audit';

export const SkipHttpAudit = (): CustomDecorator<typeof SKIP_HTTP_AUDIT> => SetMetadata(SKIP_HTTP_AUDIT, true);
