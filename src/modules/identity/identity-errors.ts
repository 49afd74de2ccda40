import { AppError, ErrorCode, validationFailed } from '../../platform/errors';

/** The identity module's errors, built here only: codes, messages and details are part of the REST contract. */

/** One answer for unknown tenant, unknown user, wrong password and disabled user: nothing to tell them apart. */
export class InvalidCredentialsError extends AppError {
  constructor() {
    super(ErrorCode.INVALID_CREDENTIALS, 'The credentials are not valid.');
  }
}

export class MfaRequiredError extends AppError {
  constructor() {
    super(ErrorCode.MFA_REQUIRED, 'A code from your authenticator app is required.');
  }
}

export class MfaInvalidError extends AppError {
  /**
   * At login, or within a session (the authenticated MFA routes): the HTTP layer answers 401 at login and 400 within
   * a session, where a 401 would read as an expired access token.
   */
  constructor(where: 'login' | 'session') {
    super(ErrorCode.MFA_INVALID, 'The authenticator code is not valid.', undefined, where === 'session' ? { withinSession: true } : undefined);
  }
}

export class RefreshTokenInvalidError extends AppError {
  constructor() {
    super(ErrorCode.REFRESH_TOKEN_INVALID, 'The refresh token is not valid; sign in again.');
  }
}

export class RefreshTokenReusedError extends AppError {
  constructor() {
    super(ErrorCode.REFRESH_TOKEN_REUSED, 'The refresh token was already used; the session has been ended. Sign in again.');
  }
}

export class EmailTakenError extends AppError {
  constructor() {
    super(ErrorCode.EMAIL_TAKEN, 'A user with this email already exists in this tenant.');
  }
}

export class WeakPasswordError extends AppError {
  constructor(problems: string[]) {
    super(ErrorCode.WEAK_PASSWORD, 'The new password does not meet the password policy.', { problems });
  }
}

/** A user list filtered by email and by name at once. */
export function emailAndNameFilter(): AppError {
  return validationFailed('Filter by email or by name, not both.', [{ field: 'q', constraints: ['exclusiveWithEmail'] }]);
}

/** A name search without a word of two or more letters. */
export function nameSearchWithoutWords(): AppError {
  return validationFailed('Search for at least one word of two or more letters.', [{ field: 'q', constraints: ['minWordLength'] }]);
}
