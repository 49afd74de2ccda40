import { NestedPoolAcquisitionError } from '../../../src/platform/database/tenant-transactions';
import { TestApi } from '../../support/identity';
import { Clinic, expectStatus, openClinic, openGroup, sent } from '../../support/messaging';
import { sustain, SustainedLoad } from '../../support/sustained-load';

/**
 * Issue 19: a tenant data key loaded while requests hold every connection of the pool must not wedge the process.
 * The pool has its default size (20) and each run keeps more requests in flight than it has connections.
 */
const DEFAULT_POOL = { DATABASE_POOL_SIZE: '20' };
/**
 * Before the fix such a run answered nothing at all until PostgreSQL ended the idle transactions (60 s), and little
 * after; a busy 2-core machine still answers well within this.
 */
const LONGEST_SILENCE_MS = 3_000;

function expectNoStall(load: SustainedLoad, okStatus: number): void {
  expect(load.unanswered).toBe(0);
  expect([...load.statuses.keys()]).toEqual([okStatus]);
  expect(load.longestSilenceMs).toBeLessThan(LONGEST_SILENCE_MS);
}

async function clinicWithHistory(api: TestApi, messages: number): Promise<{ clinic: Clinic; conversationId: string }> {
  const clinic = await openClinic(api, 2);
  const [alice, bob] = clinic.members;
  const conversationId = await openGroup(api, alice, [bob]);
  for (let i = 0; i < messages; i += 1) await sent(api, i % 2 === 0 ? alice : bob, conversationId, `Vitals round ${i}: BP 120/80`);
  return { clinic, conversationId };
}

describe('key loads under load (issue 19)', () => {
  it('64 concurrent sends keep answering while the cached keys retire at their maximum age', async () => {
    const api = await TestApi.start({ ...DEFAULT_POOL, DATA_KEY_CACHE_MAX_AGE_MS: '1000' });
    try {
      const { clinic, conversationId } = await clinicWithHistory(api, 1);
      const [alice] = clinic.members;
      const loadsBefore = api.platform.keys.loads;
      const load = await sustain({ concurrency: 64, durationMs: 4_000, answerWithinMs: 10_000 }, (worker, n) =>
        api.call('POST', `/v1/conversations/${conversationId}/messages`, { body: `Dose check ${worker}.${n}` }, { token: alice.token }));
      expectNoStall(load, 201);
      // The keys really retired and were loaded again during the run (about every 0.8 s, ahead of retirement).
      expect(api.platform.keys.loads - loadsBefore).toBeGreaterThanOrEqual(3);
    } finally {
      await api.close();
    }
  });

  it('a 100-request burst on a tenant whose keys are not cached yet answers every request', async () => {
    const seeding = await TestApi.start(DEFAULT_POOL);
    let tokens: string[];
    try {
      const { clinic } = await clinicWithHistory(seeding, 3);
      tokens = clinic.members.map((member) => member.token);
    } finally {
      await seeding.close();
    }
    // A new process: nothing of this tenant is cached.
    const api = await TestApi.start(DEFAULT_POOL);
    try {
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) =>
        api.call('GET', '/v1/conversations', undefined, { token: tokens[i % tokens.length] })));
      expect(answers.map((answer) => answer.status)).toEqual(new Array<number>(100).fill(200));
      const load = await sustain({ concurrency: 100, durationMs: 2_000, answerWithinMs: 10_000 }, (worker) =>
        api.call('GET', '/v1/conversations', undefined, { token: tokens[worker % tokens.length] }));
      expectNoStall(load, 200);
    } finally {
      await api.close();
    }
  });

  it('100 concurrent message pages keep answering when keys retire at a small use limit', async () => {
    const api = await TestApi.start({ ...DEFAULT_POOL, DATA_KEY_CACHE_MAX_USES: '2000' });
    try {
      const { clinic, conversationId } = await clinicWithHistory(api, 50);
      const [alice, bob] = clinic.members;
      const loadsBefore = api.platform.keys.loads;
      const load = await sustain({ concurrency: 100, durationMs: 4_000, answerWithinMs: 10_000 }, (worker) =>
        api.call('GET', `/v1/conversations/${conversationId}/messages?limit=50`, undefined, { token: (worker % 2 === 0 ? alice : bob).token }));
      expectNoStall(load, 200);
      // Each page opens 50 bodies: the 2,000-use limit retired the data key many times over.
      expect(load.answered * 50 / 2000).toBeGreaterThan(3);
      expect(api.platform.keys.loads - loadsBefore).toBeGreaterThanOrEqual(3);
    } finally {
      await api.close();
    }
  });
});

describe('pool exhaustion', () => {
  it('code inside a tenant transaction cannot take a second connection from the same pool', async () => {
    const api = await TestApi.start();
    try {
      const clinic = await openClinic(api, 0);
      const { transactions, dataSources } = api.platform;
      await expect(transactions.run(clinic.tenant.tenantId, () => dataSources.app.query('SELECT 1'))).rejects.toBeInstanceOf(NestedPoolAcquisitionError);
      await expect(transactions.run(clinic.tenant.tenantId, () => transactions.runDetached(clinic.tenant.tenantId, async () => 1)))
        .rejects.toBeInstanceOf(NestedPoolAcquisitionError);
      // Once the transaction has ended, its leftovers may use the pool again.
      await expect(dataSources.app.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    } finally {
      await api.close();
    }
  });

  it('a request that finds no free connection answers 503 with Retry-After; readiness shows the queue; service recovers', async () => {
    const api = await TestApi.start({ DATABASE_POOL_SIZE: '2', DATABASE_ACQUIRE_TIMEOUT_MS: '300' });
    try {
      const clinic = await openClinic(api, 1);
      const [alice] = clinic.members;
      const holders = [0, 1].map(() => api.platform.transactions.run(clinic.tenant.tenantId, (tx) => tx.query('SELECT pg_sleep(2)')));
      await new Promise((resolve) => setTimeout(resolve, 200));

      const readiness = api.call('GET', '/health/ready');
      const started = Date.now();
      const refused = await api.call('GET', '/v1/conversations', undefined, { token: alice.token });
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body).toMatchObject({ error: { code: 'DEPENDENCY_UNAVAILABLE' } });
      const ready = await readiness;
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ components: { database: { status: 'down', details: { pool: { size: 2 } } } } });
      const waiting = (ready.body as { components: { database: { details: { pool: { waiting: number } } } } }).components.database.details.pool.waiting;
      expect(waiting).toBeGreaterThanOrEqual(1);

      await Promise.all(holders);
      expectStatus(await api.call('GET', '/v1/conversations', undefined, { token: alice.token }), 200);
      expect((await api.call('GET', '/health/ready')).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
