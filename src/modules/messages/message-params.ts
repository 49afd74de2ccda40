import { createParamDecorator, ExecutionContext, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { parseDecimal } from '../../platform/http/validation';
import { invalidParam } from './message-errors';

/** A seq in a path, written plainly (parseDecimal, the same rule as numeric query parameters), and never 0. */
export function parseSeq(text: unknown): number {
  const seq = parseDecimal(text);
  if (seq === null || seq < 1) throw invalidParam('seq', 'seq', 'seq must be a positive integer written in digits.');
  return seq;
}

/**
 * The `:seq` path parameter. A parameter decorator of its own rather than @Param with a pipe: the global validation
 * pipe would first turn "01", "0x1" or " 1" into 1 (the parameter is typed number), and a malformed URL would then
 * address a real message.
 */
export const SeqParam = createParamDecorator((_: unknown, context: ExecutionContext): number =>
  parseSeq(context.switchToHttp().getRequest<FastifyRequest<{ Params: { seq?: string } }>>().params.seq));

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

/** OpenAPI for the `:seq` parameter, which SeqParam reads without @Param. */
export const ApiSeqParam = (): MethodDecorator => ApiParam({ name: 'seq', type: Number, description: 'The message\'s seq in its conversation (1, 2, 3 …).' });
