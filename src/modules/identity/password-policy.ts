import { dictionary } from '@zxcvbn-ts/language-common';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-hasher';

/** zxcvbn-ts's list of the most common leaked passwords (about 49,000), lower-cased as published. */
const commonPasswords: ReadonlySet<string> = new Set(dictionary['passwords-common']);

export type PasswordProblem = 'too_short' | 'too_long' | 'common_password';

/** Why a new password is refused (empty when it is acceptable). Length counts characters, not bytes. */
export function passwordProblems(password: string): PasswordProblem[] {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return ['too_short'];
  if (length > PASSWORD_MAX_LENGTH) return ['too_long'];
  return isCommonPassword(password) ? ['common_password'] : [];
}

function isCommonPassword(password: string): boolean {
  const folded = password.toLowerCase();
  return commonPasswords.has(folded) || commonPasswords.has(folded.replace(/\s+/g, '')) || /^(.)\1*$/u.test(folded);
}
