import pino from 'pino';
import { AppError } from '../errors';
import { PgBossJobQueue } from './pg-boss.job-queue';

// Nothing here connects: pg-boss opens its pool only on start().
function queue(): PgBossJobQueue {
  return new PgBossJobQueue({
    databaseUrl: 'postgres://nobody@127.0.0.1:1/none', poolSize: 2, pollIntervalMs: 500, stuckAfterMs: 1000, logger: pino({ level: 'silent' }),
  });
}

describe('PgBossJobQueue before start', () => {
  it('refuses a queue declared twice, a recurrence without a handler, and an actor that is not a job name', () => {
    const jobs = queue();
    jobs.handle('retention.pass', async () => undefined);
    expect(() => jobs.handle('retention.pass', async () => undefined)).toThrow(/declared twice/);
    expect(() => jobs.every('exports.pass', 1000)).toThrow(/handle\(\) before every\(\)/);
    expect(() => jobs.every('retention.pass', 0)).toThrow(/positive number of milliseconds/);
    expect(() => jobs.handle('webhooks.pass', async () => undefined, { actor: 'Webhooks!' })).toThrow(/invalid system actor/);
  });

  it('sends nothing, counts nothing and is not ready until started (a CLI command never starts it)', async () => {
    const jobs = queue();
    jobs.handle('retention.pass', async () => undefined);
    await expect(jobs.send('retention.pass', {})).rejects.toThrow(/not started/);
    await expect(jobs.send('unknown.queue', {})).rejects.toThrow(/not declared/);
    await expect(jobs.counts()).resolves.toEqual([]);
    await expect(jobs.check()).rejects.toBeInstanceOf(AppError);
    await expect(jobs.stop()).resolves.toBeUndefined();
    await expect(jobs.start()).rejects.toThrow(/does not start again/);
  });
});
