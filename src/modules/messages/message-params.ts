import { PipeTransform } from '@nestjs/common';
import { AppError } from '../../platform/http/app-error';
import { ErrorCode } from '../../platform/http/error-codes';

function invalidParam(field: string, constraint: string, message: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, 400, message, [{ field, constraints: [constraint] }]);
}

/**
 * A seq in a path: a positive integer written in digits (no sign, fraction or exponent). The global validation pipe
 * may already have turned the text into a number (the parameter is typed number), so both forms arrive here.
 */
export class SeqParamPipe implements PipeTransform<string | number, number> {
  transform(value: string | number): number {
    const seq = typeof value === 'number' ? value : /^[0-9]{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(seq) || seq < 1) throw invalidParam('seq', 'seq', 'seq must be a positive integer.');
    return seq;
  }
}

/** One emoji, or a shortcode such as "thumbsup" or "+1". */
const SHORTCODE = /^[a-z0-9_+-]{1,32}$/;
// The v flag (properties of strings) is newer than the compile target's lib, not than Node 20.
const ONE_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');

export class EmojiParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (SHORTCODE.test(value) || ONE_EMOJI.test(value)) return value;
    throw invalidParam('emoji', 'emoji', 'emoji must be one emoji or a shortcode of a-z, 0-9, _, + and -.');
  }
}
