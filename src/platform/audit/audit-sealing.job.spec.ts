import { HandlerOptions, JobData, JobHandler, JobQueue } from '../jobs/job-queue.port';
import { AUDIT_SEAL_QUEUE, scheduleAuditSealing } from './audit-sealing.job';
import { AuditSealer, SealResult } from './audit.sealer';

interface Declared {
  handler: JobHandler<JobData>;
  options?: HandlerOptions;
  intervalMs?: number;
}

function recordingQueue(declared: Map<string, Declared>): JobQueue {
  return {
    handle: (queue: string, handler: JobHandler<JobData>, options?: HandlerOptions) => { declared.set(queue, { handler, options }); },
    every: (queue: string, intervalMs: number) => {
      const entry = declared.get(queue);
      if (!entry) throw new Error('every() before handle()');
      entry.intervalMs = intervalMs;
    },
  } as unknown as JobQueue;
}

describe('scheduleAuditSealing', () => {
  it('declares one recurring queue, run as the audit-sealer actor, whose output is the pass counts', async () => {
    const declared = new Map<string, Declared>();
    const result: SealResult = { sealed: true, checkpoints: 2, events: 9, xactUpper: '1234' };
    const sealer = { sealPending: async () => result } as unknown as AuditSealer;
    scheduleAuditSealing(recordingQueue(declared), sealer, 750);

    const queue = declared.get(AUDIT_SEAL_QUEUE);
    expect(queue).toMatchObject({ intervalMs: 750, options: { actor: 'audit-sealer', retryLimit: 0 } });
    await expect(queue?.handler({ id: 'job-1', queue: AUDIT_SEAL_QUEUE, data: {} }))
      .resolves.toEqual({ sealed: true, checkpoints: 2, events: 9, xactUpper: '1234' });
  });

  it('reports a pass that another sealer held off, with no watermark', async () => {
    const declared = new Map<string, Declared>();
    const sealer = { sealPending: async (): Promise<SealResult> => ({ sealed: false, checkpoints: 0, events: 0 }) } as unknown as AuditSealer;
    scheduleAuditSealing(recordingQueue(declared), sealer, 5000);
    await expect(declared.get(AUDIT_SEAL_QUEUE)?.handler({ id: 'job-2', queue: AUDIT_SEAL_QUEUE, data: {} }))
      .resolves.toEqual({ sealed: false, checkpoints: 0, events: 0, xactUpper: null });
  });
});
