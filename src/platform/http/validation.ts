import { Transform } from 'class-transformer';
import { ValidateIf, type ValidationOptions } from 'class-validator';
import { ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError, validationFailed, type FieldViolation } from '../errors';

const INVALID_REQUEST = 'The request is invalid.';

/** A hostile body can hold thousands of bad fields; the answer stays small. */
const MAX_VIOLATIONS = 50;
const MAX_FIELD_PATH_LENGTH = 200;

/** Deeper input is refused before class-transformer recurses into it (thousands of levels overflow its stack). */
const MAX_INPUT_DEPTH = 32;
/** Names class-transformer skips silently, so the unknown-field check would never see them. */
const RESERVED_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
/** With the u flag, paired surrogates are one code point: only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The validation pipe, hardened for hostile input: unknown fields (reserved names included), over-deep nesting and
 * malformed UTF-16 (lone surrogates) are a 400 before any validator runs, and a validator that throws on an input
 * it did not expect answers 400 too, never 500.
 */
class HostileInputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const problem = inputProblem(value, 0, metadata.data ?? '');
    if (problem) throw validationFailedAt(problem.field, problem.constraint);
    try {
      return await super.transform(value, metadata);
    } catch (error: unknown) {
      if (error instanceof AppError) throw error;
      throw validationFailedAt(metadata.data ?? metadata.type, 'unprocessable');
    }
  }
}

export function createValidationPipe(): ValidationPipe {
  return new HostileInputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => validationFailedFrom(errors),
  });
}

/**
 * Printable text on one line (names, titles, file names: they end up on other people's screens and exports): no
 * control characters, line breaks or invisible format characters (bidi overrides, zero-width spaces), except the
 * zero-width joiner and tag characters that emoji sequences and flags are made of.
 */
export const PRINTABLE_LINE = /^(?:[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|[\u200d\u{e0020}-\u{e007f}])*$/u;

const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * A non-negative integer written plainly: digits only, no sign, leading zero, fraction, exponent, hex or spaces.
 * Null for anything else, so "0x10", " 1", "1e2" and "" are refused instead of read as numbers.
 */
export function parseDecimal(text: unknown): number | null {
  if (typeof text !== 'string' || !DECIMAL.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * A numeric query parameter read with parseDecimal (class-transformer's Number() would accept "0x10", " 1" and
 * "1e2"); anything else stays as written, so @IsInt refuses it with a 400 naming the parameter.
 */
export function QueryInteger(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => parseDecimal(value) ?? value);
}

/** Optional, but when present it must be valid: unlike @IsOptional, null is not a way to skip validation. */
export function IsOmittable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined, options);
}

function inputProblem(value: unknown, depth: number, path: string): { field: string; constraint: string } | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? { field: path, constraint: 'wellFormedText' } : null;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_INPUT_DEPTH) return { field: path, constraint: 'maxDepth' };
  for (const [key, child] of Object.entries(value)) {
    const field = joinPath(path, key);
    if (RESERVED_KEYS.has(key)) return { field, constraint: 'whitelistValidation' };
    if (LONE_SURROGATE.test(key)) return { field: path, constraint: 'wellFormedText' };
    const problem = inputProblem(child, depth + 1, field);
    if (problem) return problem;
  }
  return null;
}

function validationFailedAt(field: string, constraint: string): AppError {
  const violation: FieldViolation = { field: field.slice(0, MAX_FIELD_PATH_LENGTH), constraints: [constraint] };
  return validationFailed(INVALID_REQUEST, [violation]);
}

export function validationFailedFrom(errors: readonly ValidationError[]): AppError {
  return validationFailed(INVALID_REQUEST, toFieldViolations(errors));
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
