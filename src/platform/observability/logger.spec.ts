import { Writable } from 'node:stream';
import { RequestMethod, type LoggerService } from '@nestjs/common';
import { pino, type LoggerOptions } from 'pino';
import { SEALED_LOG_KEYS } from '../../sealed-tables';
import { createRootLogger, loggerModuleOptions, OperatorBootLogger, sealedLogKeys, serializeError, serializeRequest } from './logger';

const config = (level = 'info') => ({ level, sealedKeys: SEALED_LOG_KEYS });

const SECRETS = {
  authorization: 'Bearer SECRET-AUTH-1',
  cookie: 'sid=SECRET-COOKIE-2',
  apiKey: 'SECRET-API-KEY-3',
  email: 'PHI-EMAIL-4@example.com',
  body: 'PHI-BODY-5',
  password: 'SECRET-PASSWORD-6',
  sealed: 'SEALED-CIPHERTEXT-7',
  deep: 'PHI-DEEP-8',
  refresh: 'SECRET-REFRESH-9',
} as const;

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const text = (): string => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines, text };
}

function logEverythingSensitive(logger: pino.Logger): void {
  logger.info(
    {
      req: { headers: { authorization: SECRETS.authorization, cookie: SECRETS.cookie, 'x-api-key': SECRETS.apiKey } },
      email: SECRETS.email,
      body: { text: SECRETS.body, nested: { note: SECRETS.body } },
      user: { password: SECRETS.password, displayNameSealed: SECRETS.sealed, Authorization: SECRETS.authorization },
      a: { b: { c: { d: { e: { f: { email: SECRETS.deep, display_name_sealed: SECRETS.sealed } } } } } },
      tokens: [{ refresh_token: SECRETS.refresh }],
      channelId: 'ch_1',
    },
    'channel created',
  );
}

describe('createRootLogger', () => {
  it('writes JSON lines with none of the secrets or PHI, and keeps the rest', () => {
    const { stream, lines, text } = capture();

    logEverythingSensitive(createRootLogger(config(), stream));

    for (const secret of Object.values(SECRETS)) {
      expect(text()).not.toContain(secret);
    }
    expect(text()).toContain('[REDACTED]');
    expect(lines()[0]).toMatchObject({ level: 'info', msg: 'channel created', channelId: 'ch_1' });
  });

  it('redacts child logger bindings too', () => {
    const { stream, text } = capture();

    createRootLogger(config(), stream).child({ email: SECRETS.email, job: { token: SECRETS.refresh } }).info('retention run');

    expect(text()).not.toContain(SECRETS.email);
    expect(text()).not.toContain(SECRETS.refresh);
  });

  it('does not change the object the caller logged', () => {
    const { stream } = capture();
    const logged = { user: { email: SECRETS.email } };

    createRootLogger(config(), stream).info(logged, 'x');

    expect(logged.user.email).toBe(SECRETS.email);
  });

  it('logs errors by type, message, code and stack only, never their other properties', () => {
    const { stream, lines } = capture();
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
      detail: `Key (email)=(${SECRETS.email}) already exists.`,
      parameters: [SECRETS.email],
    });

    createRootLogger(config(), stream).error({ err: pgError }, 'insert failed');

    const err = lines()[0].err as Record<string, unknown>;
    expect(err).toMatchObject({ type: 'Error', code: '23505', message: 'duplicate key value violates unique constraint' });
    expect(JSON.stringify(lines()[0])).not.toContain(SECRETS.email);
  });
});

describe('loggerModuleOptions', () => {
  it('registers the middleware for every route the way nestjs-pino needs on Fastify', () => {
    const options = loggerModuleOptions(config('debug'));

    expect(options.forRoutes).toEqual([{ path: '{*splat}', method: RequestMethod.ALL }]);
  });

  it('gives pino-http the same redaction and a requestId on each line', () => {
    const pinoHttp = loggerModuleOptions(config()).pinoHttp;
    if (pinoHttp === undefined || Array.isArray(pinoHttp) || 'write' in pinoHttp) {
      throw new Error('expected pino-http options');
    }
    const { stream, text } = capture();

    logEverythingSensitive(pino(pinoHttp as LoggerOptions, stream));

    for (const secret of Object.values(SECRETS)) {
      expect(text()).not.toContain(secret);
    }
    expect(pinoHttp.customAttributeKeys).toEqual({ reqId: 'requestId' });
    expect(pinoHttp.quietReqLogger).toBe(true);
  });

  it('keeps the request id Fastify gave the request', () => {
    const pinoHttp = loggerModuleOptions(config()).pinoHttp;
    if (pinoHttp === undefined || Array.isArray(pinoHttp) || 'write' in pinoHttp || !pinoHttp.genReqId) {
      throw new Error('expected pino-http options with genReqId');
    }
    const request = { id: 'fastify-id-1', headers: {} } as unknown as Parameters<typeof pinoHttp.genReqId>[0];
    const response = {} as Parameters<typeof pinoHttp.genReqId>[1];

    expect(pinoHttp.genReqId(request, response)).toBe('fastify-id-1');
  });
});

describe('serializeRequest', () => {
  it('keeps method and path without query only', () => {
    const serialized = serializeRequest({
      method: 'GET',
      url: `/patients?email=${SECRETS.email}`,
      headers: { 'user-agent': 'sdk/1.0', authorization: SECRETS.authorization },
      body: { text: SECRETS.body },
    });

    expect(serialized).toEqual({ method: 'GET', url: '/patients' });
  });
});

describe('sealedLogKeys', () => {
  it('names the property and the column of every sealed column, and nothing else', () => {
    const table = {
      table: 'note',
      columns: { id: { column: 'id' }, text: { column: 'text_sealed', sealed: true }, authorId: { column: 'author_id', sealed: false } },
    };

    expect(sealedLogKeys([table, table])).toEqual(['text', 'text_sealed']);
  });

  it('redacts only what the logger is given: a key it was not told of is logged', () => {
    const { stream, text } = capture();

    createRootLogger({ level: 'info', sealedKeys: ['diagnosis'] }, stream).info({ diagnosis: 'PHI-DX-10', Diagnosis: 'PHI-DX-11', ward: 'B' }, 'x');

    expect(text()).not.toContain('PHI-DX-1');
    expect(text()).toContain('"ward":"B"');
  });
});

describe('OperatorBootLogger', () => {
  function recording(): { inner: LoggerService; calls: [string, unknown[]][] } {
    const calls: [string, unknown[]][] = [];
    const record = (level: string) => (...args: unknown[]): void => { calls.push([level, args]); };
    return { inner: { log: record('info'), debug: record('debug'), warn: record('warn'), error: record('error'), verbose: record('verbose') }, calls };
  }

  it("logs Nest's module, controller and route lines at debug", () => {
    const { inner, calls } = recording();
    const logger = new OperatorBootLogger(inner);

    logger.log('Starting Nest application...', 'NestFactory');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('UsersController {/v1/users}:', 'RoutesResolver');
    logger.log('Mapped {/v1/users, GET} route', 'RouterExplorer');

    expect(calls.map(([level]) => level)).toEqual(['debug', 'debug', 'debug', 'debug']);
    expect(calls[3]).toEqual(['debug', ['Mapped {/v1/users, GET} route', 'RouterExplorer']]);
  });

  it('passes every other line through at its own level', () => {
    const { inner, calls } = recording();
    const logger = new OperatorBootLogger(inner);

    logger.log('Nest application successfully started', 'NestApplication');
    logger.log({ tenant: 't1' }, 'AuditSealer');
    logger.log('no context');
    logger.warn('Mapped twice', 'RouterExplorer');
    logger.error('failed', 'HttpErrorFilter');

    expect(calls.map(([level]) => level)).toEqual(['info', 'info', 'info', 'warn', 'error']);
  });
});

describe('serializeError', () => {
  it('names a thrown non-Error without printing it', () => {
    expect(serializeError({ email: SECRETS.email })).toEqual({ type: 'object' });
  });
});
