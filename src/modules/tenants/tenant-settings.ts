/** A tenant's security settings as stored in tenant.settings, with the defaults the issue names. */
export interface TenantSecuritySettings {
  /** Tenant admins and compliance officers must enrol a TOTP authenticator. */
  mfaRequired: boolean;
  /** A session unused (not refreshed) this long ends: HIPAA automatic logoff. */
  idleTimeoutMinutes: number;
  /** A session ends this long after login, however active. */
  sessionLifetimeHours: number;
}

export const DEFAULT_SECURITY_SETTINGS: TenantSecuritySettings = { mfaRequired: false, idleTimeoutMinutes: 30, sessionLifetimeHours: 12 };

/** Reads the stored JSON defensively: a missing or malformed value falls back to the default. */
export function securitySettingsOf(settings: Record<string, unknown>): TenantSecuritySettings {
  return {
    mfaRequired: typeof settings.mfaRequired === 'boolean' ? settings.mfaRequired : DEFAULT_SECURITY_SETTINGS.mfaRequired,
    idleTimeoutMinutes: integerWithin(settings.idleTimeoutMinutes, 1, 24 * 60) ?? DEFAULT_SECURITY_SETTINGS.idleTimeoutMinutes,
    sessionLifetimeHours: integerWithin(settings.sessionLifetimeHours, 1, 7 * 24) ?? DEFAULT_SECURITY_SETTINGS.sessionLifetimeHours,
  };
}

/** A tenant's attachment settings as stored in tenant.settings. */
export interface TenantAttachmentSettings {
  /** The largest attachment a member may upload, in bytes. */
  maxAttachmentBytes: number;
}

/** 100 MB. */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 104_857_600;
/** The most a tenant may allow: S3's limit for one PUT (5 GiB). */
export const MAX_ATTACHMENT_BYTES_LIMIT = 5 * 1024 ** 3;

export const DEFAULT_ATTACHMENT_SETTINGS: TenantAttachmentSettings = { maxAttachmentBytes: DEFAULT_MAX_ATTACHMENT_BYTES };

/** Reads the stored JSON defensively: a missing or malformed value falls back to the default. */
export function attachmentSettingsOf(settings: Record<string, unknown>): TenantAttachmentSettings {
  return {
    maxAttachmentBytes: integerWithin(settings.maxAttachmentBytes, 1, MAX_ATTACHMENT_BYTES_LIMIT) ?? DEFAULT_ATTACHMENT_SETTINGS.maxAttachmentBytes,
  };
}

function integerWithin(value: unknown, min: number, max: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}
