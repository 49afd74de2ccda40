import { AppError } from '../../platform/http/app-error';
import { ErrorCode } from '../../platform/http/error-codes';

/** One answer for unknown tenant, unknown user, wrong password and disabled user: nothing to tell them apart. */
export class InvalidCredentialsError extends AppError {
  constructor() {
    super(ErrorCode.INVALID_CREDENTIALS, 401, 'The credentials are not valid.');
  }
}

export class MfaRequiredError extends AppError {
  constructor() {
    super(ErrorCode.MFA_REQUIRED, 401, 'A code from your authenticator app is required.');
  }
}

export class MfaInvalidError extends AppError {
  /** 401 at login; 400 on the authenticated MFA routes, where a 401 would read as an expired access token. */
  constructor(status: 400 | 401) {
    super(ErrorCode.MFA_INVALID, status, 'The authenticator code is not valid.');
  }
}

export class RefreshTokenInvalidError extends AppError {
  constructor() {
    super(ErrorCode.REFRESH_TOKEN_INVALID, 401, 'The refresh token is not valid; sign in again.');
  }
}

export class RefreshTokenReusedError extends AppError {
  constructor() {
    super(ErrorCode.REFRESH_TOKEN_REUSED, 401, 'The refresh token was already used; the session has been ended. Sign in again.');
  }
}

export class EmailTakenError extends AppError {
  constructor() {
    super(ErrorCode.EMAIL_TAKEN, 409, 'A user with this email already exists in this tenant.');
  }
}

export class WeakPasswordError extends AppError {
  constructor(problems: string[]) {
    super(ErrorCode.WEAK_PASSWORD, 400, 'The new password does not meet the password policy.', { problems });
  }
}
