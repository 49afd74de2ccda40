import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Min, ValidateNested } from 'class-validator';
import { AppError, ErrorCode } from '../errors';
import { httpStatusOf } from './error-status';
import { createValidationPipe, IsOmittable, parseDecimal, toFieldViolations } from './validation';

class MemberDto {
  @IsUUID()
  userId!: string;
}

class CreateChannelDto {
  @IsString()
  name!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  maxMembers?: number;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => MemberDto)
  members?: MemberDto[];
}

const SECRET = 'PHI-CANARY-123';

async function rejectionOf(body: unknown): Promise<AppError> {
  const pipe = createValidationPipe();
  try {
    await pipe.transform(body, { type: 'body', metatype: CreateChannelDto });
  } catch (error: unknown) {
    if (error instanceof AppError) {
      return error;
    }
    throw error;
  }
  throw new Error('the pipe accepted the body');
}

describe('createValidationPipe', () => {
  it('rejects an unknown field with VALIDATION_FAILED naming the field, not its value', async () => {
    const error = await rejectionOf({ name: 'general', patientEmail: SECRET });

    expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(httpStatusOf(error)).toBe(400);
    expect(error.details).toEqual([{ field: 'patientEmail', constraints: ['whitelistValidation'] }]);
    expect(JSON.stringify(error.details)).not.toContain(SECRET);
    expect(error.message).not.toContain(SECRET);
  });

  it('rejects a wrong type with the constraint names and without the rejected value', async () => {
    const error = await rejectionOf({ name: { nested: SECRET }, maxMembers: SECRET });

    expect(error.details).toEqual([
      { field: 'name', constraints: ['isString'] },
      { field: 'maxMembers', constraints: expect.arrayContaining(['isInt', 'min']) },
    ]);
    expect(JSON.stringify(error.details)).not.toContain(SECRET);
  });

  it('names nested array fields by path', async () => {
    const error = await rejectionOf({ name: 'general', members: [{ userId: '0b9e5a0e-6f1e-4a43-9b57-0c7f0e2f1d11' }, { userId: SECRET }] });

    expect(error.details).toEqual([{ field: 'members[1].userId', constraints: ['isUuid'] }]);
  });

  it('transforms a valid body into the DTO class', async () => {
    const pipe = createValidationPipe();

    const value: unknown = await pipe.transform({ name: 'general', maxMembers: 5 }, { type: 'body', metatype: CreateChannelDto });

    expect(value).toBeInstanceOf(CreateChannelDto);
  });
});

describe('toFieldViolations', () => {
  it('keeps the answer small however many fields are wrong', () => {
    const errors = Array.from({ length: 500 }, (_, index) => ({ property: `field${index}`, constraints: { isString: 'x' } }));

    expect(toFieldViolations(errors)).toHaveLength(50);
  });
});

describe('hostile input', () => {
  function nested(depth: number): unknown {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  }

  it.each([
    ['nesting thousands of levels deep', { name: 'general', members: nested(5000) }, 'maxDepth'],
    ['a reserved key class-transformer would skip', JSON.parse('{"name":"general","constructor":"x"}') as unknown, 'whitelistValidation'],
    ['a "prototype" key', { name: 'general', prototype: 'x' }, 'whitelistValidation'],
    ['a lone surrogate', { name: '\ud800general' }, 'wellFormedText'],
  ])('refuses %s with VALIDATION_FAILED', async (_case, body, constraint) => {
    const error = await rejectionOf(body);
    expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(JSON.stringify(error.details)).toContain(constraint);
  });

  it('accepts a paired surrogate (an emoji)', async () => {
    await expect(createValidationPipe().transform({ name: 'general 😀' }, { type: 'body', metatype: CreateChannelDto })).resolves.toMatchObject({ name: 'general 😀' });
  });
});

describe('IsOmittable', () => {
  class PatchDto {
    @IsOmittable() @IsString()
    title?: string;
  }

  it('skips an absent field but validates null', async () => {
    const pipe = createValidationPipe();
    await expect(pipe.transform({}, { type: 'body', metatype: PatchDto })).resolves.toEqual({});
    await expect(pipe.transform({ title: null }, { type: 'body', metatype: PatchDto })).rejects.toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
  });
});

describe('parseDecimal', () => {
  it.each(['0', '1', '42', '9007199254740991'])('reads %j', (text) => {
    expect(parseDecimal(text)).toBe(Number(text));
  });

  it.each(['', ' 1', '1 ', '+1', '-1', '01', '0x10', '1e2', '1.0', '1_000', '١', '9007199254740993', '99999999999999999'])('refuses %j', (text) => {
    expect(parseDecimal(text)).toBeNull();
  });

  it('refuses what is not a string (a repeated query parameter arrives as an array)', () => {
    expect(parseDecimal(['1', '2'])).toBeNull();
    expect(parseDecimal(1)).toBeNull();
  });
});
