/**
 * Every code a client can receive. Stable: clients branch on these, so a code is never renamed or reused.
 */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** A 4xx with no more specific code (e.g. 410, 431). */
  BAD_REQUEST: 'BAD_REQUEST',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  NOT_ACCEPTABLE: 'NOT_ACCEPTABLE',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  MFA_REQUIRED: 'MFA_REQUIRED',
  MFA_INVALID: 'MFA_INVALID',
  /** The tenant requires MFA for this role: only enrolment routes answer until a TOTP is confirmed. */
  MFA_ENROLMENT_REQUIRED: 'MFA_ENROLMENT_REQUIRED',
  REFRESH_TOKEN_INVALID: 'REFRESH_TOKEN_INVALID',
  REFRESH_TOKEN_REUSED: 'REFRESH_TOKEN_REUSED',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  WEAK_PASSWORD: 'WEAK_PASSWORD',
  TENANT_SCOPE_VIOLATION: 'TENANT_SCOPE_VIOLATION',
  KEY_SERVICE_UNAVAILABLE: 'KEY_SERVICE_UNAVAILABLE',
  AUDIT_UNAVAILABLE: 'AUDIT_UNAVAILABLE',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY_UNAVAILABLE',
  SEALED_DATA_INTEGRITY: 'SEALED_DATA_INTEGRITY',
  OBJECT_RETAINED: 'OBJECT_RETAINED',
  REALTIME_PUBLISH_REJECTED: 'REALTIME_PUBLISH_REJECTED',
  /** A conversation member that is not an active user of the caller's tenant. */
  INVALID_MEMBER: 'INVALID_MEMBER',
  /** A direct conversation's two members are fixed. */
  DIRECT_CONVERSATION_FIXED: 'DIRECT_CONVERSATION_FIXED',
  /** A group would exceed its member limit. */
  CONVERSATION_FULL: 'CONVERSATION_FULL',
  /** A seq beyond the conversation's last message (read pointer, reply target). */
  INVALID_SEQ: 'INVALID_SEQ',
  /** A deleted message cannot be edited or reacted to. */
  MESSAGE_DELETED: 'MESSAGE_DELETED',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  /** An attachment id that is not a ready, unattached upload of the sender in this conversation. */
  INVALID_ATTACHMENT: 'INVALID_ATTACHMENT',
  ATTACHMENT_TOO_LARGE: 'ATTACHMENT_TOO_LARGE',
  ATTACHMENT_TYPE_MISMATCH: 'ATTACHMENT_TYPE_MISMATCH',
  /** The upload is missing, incomplete, or its signed URL has expired. */
  ATTACHMENT_NOT_UPLOADED: 'ATTACHMENT_NOT_UPLOADED',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
