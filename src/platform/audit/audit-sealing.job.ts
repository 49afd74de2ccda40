import { JobQueue } from '../jobs/job-queue.port';
import { AuditSealer } from './audit.sealer';

export const AUDIT_SEAL_QUEUE = 'audit.seal';
/** The system actor the pass runs as. */
export const AUDIT_SEALER_ACTOR = 'audit-sealer';

/**
 * Checkpoints the audit trail every interval as a durable job: once across the cluster, never two passes at once,
 * and still on schedule after a restart. A failed pass is not retried: the next one, an interval later, is the retry.
 * The pass records no audit event of its own: that event would need sealing by the next pass, which would record
 * another, forever. Its record is the checkpoint itself, and the job's output (counts only) in the jobs schema.
 */
export function scheduleAuditSealing(jobs: JobQueue, sealer: AuditSealer, intervalMs: number): void {
  jobs.handle(AUDIT_SEAL_QUEUE, async () => {
    const { sealed, checkpoints, events, xactUpper } = await sealer.sealPending();
    return { sealed, checkpoints, events, xactUpper: xactUpper ?? null };
  }, { actor: AUDIT_SEALER_ACTOR, retryLimit: 0, expireInSeconds: 600 });
  jobs.every(AUDIT_SEAL_QUEUE, intervalMs);
}
