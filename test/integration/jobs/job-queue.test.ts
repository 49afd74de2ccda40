import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobRun } from '../../../src/platform/jobs/job-queue.port';
import { checkReadiness } from '../../../src/platform/observability/health.controller';
import { metricsRegistry } from '../../../src/platform/observability/metrics';
import { Platform } from '../../../src/platform/platform';
import { createTestPlatform } from '../../support/test-platform';
import { eventually } from '../../support/eventually';

/** Workers poll twice a second, so a job is taken within about half a second. */
const FAST = { JOBS_POLL_INTERVAL_MS: '500' };

const open: Platform[] = [];
async function platform(settings: NodeJS.ProcessEnv = {}): Promise<Platform> {
  const created = await createTestPlatform({}, { ...FAST, ...settings });
  open.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

const queueName = (what: string): string => `test.${what}.${randomUUID().slice(0, 8)}`;

describe('durable jobs on pg-boss', () => {
  it('runs each job once across two instances on the same database', async () => {
    const queue = queueName('once');
    const runs: { instance: string; n: number }[] = [];
    const [a, b] = [await platform(), await platform()];
    for (const [instance, p] of [['a', a], ['b', b]] as const) {
      p.jobs.handle<{ n: number }>(queue, async (run) => {
        runs.push({ instance, n: run.data.n });
        await sleep(20);
        return undefined;
      });
    }
    await Promise.all([a.jobs.start(), b.jobs.start()]);

    const sent = 16;
    for (let n = 0; n < sent; n += 1) await (n % 2 === 0 ? a : b).jobs.send(queue, { n });
    await eventually(() => runs.length, (count) => count >= sent);
    await sleep(1500);
    expect(runs.map((r) => r.n).sort((x, y) => x - y)).toEqual([...Array(sent).keys()]);
  });

  it('runs a recurring job once at a time across instances, at its interval', async () => {
    const queue = queueName('every');
    const intervalMs = 300;
    const starts: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const [a, b] = [await platform(), await platform()];
    for (const p of [a, b]) {
      p.jobs.handle(queue, async () => {
        starts.push(Date.now());
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await sleep(50);
        running -= 1;
        return undefined;
      });
      p.jobs.every(queue, intervalMs);
    }
    const began = Date.now();
    await Promise.all([a.jobs.start(), b.jobs.start()]);
    await sleep(4000);
    const elapsed = Date.now() - began;
    // Stopped at once, the counts are final.
    await Promise.all(open.splice(0).map((p) => p.close()));

    expect(mostAtOnce).toBe(1);
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(starts.length).toBeLessThanOrEqual(Math.ceil(elapsed / intervalMs) + 1);
    // One chain: each run is about an interval after the one before (less the round trip of the send that precedes
    // the handler, hence the margin). Two instances each keeping a chain of their own would interleave. The very
    // first pair may be closer (both instances send a starter job).
    const gaps = starts.slice(1).map((start, i) => start - starts[i]);
    expect(gaps.slice(1).filter((gap) => gap < intervalMs / 2)).toEqual([]);
  });

  it('keeps a job sent before a stop and runs it once a new instance starts', async () => {
    const queue = queueName('restart');
    const first = await platform();
    const ranOnFirst: string[] = [];
    first.jobs.handle(queue, async (run) => { ranOnFirst.push(run.id); return undefined; });
    await first.jobs.start();
    const id = await first.jobs.send(queue, { tenantCount: 3 }, { delayMs: 1500 });
    await first.close();

    const second = await platform();
    const ranOnSecond: JobRun<{ tenantCount: number }>[] = [];
    second.jobs.handle<{ tenantCount: number }>(queue, async (run) => { ranOnSecond.push(run); return undefined; });
    // Two applications on one platform share its one start.
    await Promise.all([second.jobs.start(), second.jobs.start()]);
    await eventually(() => ranOnSecond.length, (count) => count > 0);

    expect(ranOnFirst).toEqual([]);
    expect(ranOnSecond).toEqual([{ id, queue, data: { tenantCount: 3 } }]);
  });

  it('counts a failing job as failed in /metrics', async () => {
    const queue = queueName('failing');
    const p = await platform();
    p.jobs.handle(queue, async () => { throw new Error('this job always fails'); }, { retryLimit: 1 });
    await p.jobs.start();
    await p.jobs.send(queue, {});

    await eventually(() => p.jobs.counts(), (counts) => counts.some((c) => c.queue === queue && c.failed === 1));
    const exposition = await metricsRegistry.metrics();
    // Two attempts (one retry), one job failed for good.
    expect(exposition).toContain(`job_runs_total{queue="${queue}",outcome="failed"} 2`);
    expect(exposition).toContain(`job_queue_failed{queue="${queue}"} 1`);
    expect(exposition).toContain(`job_queue_queued{queue="${queue}"} 0`);
    expect(exposition).toContain(`job_queue_active{queue="${queue}"} 0`);
  });

  it('reports queued and running jobs in /metrics, and fails readiness while a queue is stuck', async () => {
    const queue = queueName('stuck');
    const p = await platform({ JOBS_STUCK_AFTER_MS: '1000' });
    let release!: () => void;
    const wedged = new Promise<void>((resolve) => { release = resolve; });
    const done: number[] = [];
    // One worker, wedged on the first job: the second waits behind it.
    p.jobs.handle<{ n: number }>(queue, async (run) => { if (run.data.n === 1) await wedged; done.push(run.data.n); return undefined; });
    await p.jobs.start();
    await p.jobs.send(queue, { n: 1 });
    await eventually(() => p.jobs.counts(), (counts) => counts.some((c) => c.queue === queue && c.active === 1));
    await p.jobs.send(queue, { n: 2 });

    const exposition = await metricsRegistry.metrics();
    expect(exposition).toContain(`job_queue_active{queue="${queue}"} 1`);
    expect(exposition).toContain(`job_queue_queued{queue="${queue}"} 1`);

    const stuck = await eventually(() => checkReadiness(p.healthIndicators), (report) => report.status === 'unavailable', 5000);
    expect(stuck.components.jobs).toEqual({ status: 'down', error: 'DEPENDENCY_UNAVAILABLE' });
    expect(Object.entries(stuck.components).filter(([, health]) => health.status === 'down').map(([name]) => name)).toEqual(['jobs']);

    release();
    await eventually(() => done.length, (count) => count === 2);
    const recovered = await checkReadiness(p.healthIndicators);
    expect(recovered.components.jobs).toEqual({ status: 'up', backend: 'pg-boss' });
  });

  it('keeps readiness up while a long backlog is moving (slow is not stuck)', async () => {
    const queue = queueName('slow');
    const p = await platform({ JOBS_STUCK_AFTER_MS: '1000' });
    const done: number[] = [];
    p.jobs.handle<{ n: number }>(queue, async (run) => { await sleep(250); done.push(run.data.n); return undefined; });
    await p.jobs.start();
    const sent = 10;
    for (let n = 0; n < sent; n += 1) await p.jobs.send(queue, { n });

    let longestWait = 0;
    while (done.length < sent) {
      const [counts] = (await p.jobs.counts()).filter((c) => c.queue === queue);
      longestWait = Math.max(longestWait, counts.oldestReadySeconds ?? 0);
      expect((await checkReadiness(p.healthIndicators)).components.jobs).toEqual({ status: 'up', backend: 'pg-boss' });
      await sleep(200);
    }
    expect(longestWait).toBeGreaterThan(1);
  });

  it('does not start workers for a platform that is only built (CLI commands)', async () => {
    const p = await platform();
    expect(await p.jobs.counts()).toEqual([]);
    await expect(p.jobs.send('audit.seal', {})).rejects.toThrow(/not started/);
    expect((await checkReadiness(p.healthIndicators)).components.jobs).toEqual({ status: 'down', error: 'DEPENDENCY_UNAVAILABLE' });
  });
});
