/** Errors as domain data: a stable code, a message, details. No transport: only the HTTP filter knows statuses. */
export { ErrorCode } from './error-codes';
export {
  AppError,
  AuditUnavailableError,
  ConflictError,
  DependencyUnavailableError,
  ForbiddenError,
  KeyServiceUnavailableError,
  NotFoundError,
  RateLimitedError,
  SealedDataIntegrityError,
  TenantScopeViolationError,
  UnauthenticatedError,
  validationFailed,
  type ErrorDetails,
  type ErrorHints,
  type FieldViolation,
  type UnauthenticatedReason,
} from './app-error';
