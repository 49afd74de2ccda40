import { ValidateBy, ValidationOptions } from 'class-validator';

/** Longest body, in characters (code points). */
export const MAX_BODY_CHARACTERS = 10_000;

/** Control characters (C0 and C1) other than newline and tab: never part of a message. */
const FORBIDDEN = /(?![\n\t])\p{Cc}/u;

/**
 * Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) make text display in another
 * order than it is stored ("pay \u202eKCATTA\u202c now"). The marks LRM and RLM, and the joiners of emoji sequences,
 * stay allowed: they change no order.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/u;

/**
 * Why a body is refused, or null. Markdown (`**bold**`, `_italic_`, `` `code` ``) is ordinary text here:
 * stored and returned exactly as written, never rendered to HTML by the service.
 */
export function bodyProblem(body: string): string | null {
  const length = [...body].length;
  if (length < 1 || length > MAX_BODY_CHARACTERS) return `body must be 1 to ${MAX_BODY_CHARACTERS} characters`;
  if (/^[\s\p{Cf}]*$/u.test(body)) return 'body must not be blank';
  if (FORBIDDEN.test(body)) return 'body must not contain control characters other than newline and tab';
  if (BIDI_CONTROLS.test(body)) return 'body must not contain bidirectional override or isolate characters';
  return null;
}

/** Validates a message body with bodyProblem, so a refused body is a 400 naming the field. */
export function IsMessageBody(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({
    name: 'messageBody',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && bodyProblem(value) === null,
      defaultMessage: (args) => (typeof args?.value === 'string' ? bodyProblem(args.value) : null) ?? 'body must be a string',
    },
  }, options);
}
