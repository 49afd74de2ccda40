import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IsOmittable, QueryInteger } from './validation';

/** What a list answers when the client names no limit, and the most it may ask for: the same on every list route. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The `limit` query parameter of a paged list: 1 … MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent. */
export function PageLimit(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
    IsOmittable(),
    QueryInteger(),
    IsInt(),
    Min(1),
    Max(MAX_PAGE_SIZE),
  );
}
