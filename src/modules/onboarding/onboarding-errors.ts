import { AppError, validationFailed, type FieldViolation } from '../../platform/errors';

/** The onboarding module's errors, built here only: codes, messages and details are part of the REST contract. */

export function invalidTenantRequest(problems: readonly FieldViolation[]): AppError {
  return validationFailed('The tenant request is invalid.', problems);
}
