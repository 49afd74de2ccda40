import { Logger } from '@nestjs/common';
import { AuditSealer } from './audit.sealer';

/** Checkpoints the audit trail every interval; one pass at a time in this process, one in the cluster (advisory lock). */
export class AuditSealingJob {
  private readonly logger = new Logger(AuditSealingJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly sealer: AuditSealer, private readonly intervalMs: number) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sealer.sealPending()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.error({ err: error }, 'audit sealing pass failed'))
        .finally(() => { this.running = undefined; });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
