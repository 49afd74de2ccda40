import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError } from './app-error';
import { ErrorCode } from './error-codes';

/** One invalid field: where it is and which rules it broke. Never the value: it may be PHI. */
export interface FieldViolation {
  field: string;
  constraints: string[];
}

/** A hostile body can hold thousands of bad fields; the answer stays small. */
const MAX_VIOLATIONS = 50;
const MAX_FIELD_PATH_LENGTH = 200;

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => validationFailed(errors),
  });
}

export function validationFailed(errors: readonly ValidationError[]): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, 400, 'The request is invalid.', toFieldViolations(errors));
}

/** Flattens class-validator's tree into `members[0].userId`-style paths, depth first. */
export function toFieldViolations(errors: readonly ValidationError[]): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const pending = errors.map((error) => ({ error, path: joinPath('', error.property) })).reverse();
  while (pending.length > 0 && violations.length < MAX_VIOLATIONS) {
    const next = pending.pop();
    if (next === undefined) {
      break;
    }
    const { error, path } = next;
    const constraints = Object.keys(error.constraints ?? {});
    if (constraints.length > 0) {
      violations.push({ field: path.slice(0, MAX_FIELD_PATH_LENGTH), constraints });
    }
    const children = error.children ?? [];
    for (let index = children.length - 1; index >= 0; index -= 1) {
      const child = children[index];
      pending.push({ error: child, path: joinPath(path, child.property) });
    }
  }
  return violations;
}

function joinPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) {
    return `${parent}[${property}]`;
  }
  return parent === '' ? property : `${parent}.${property}`;
}
