import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { currentContext, runInContext } from '../context/request-context';
import { TenantTransactions, TenantTx } from '../database/tenant-transactions';

/** A system actor's id: the job's name, as audit rows carry it (actor_id, at most 128 characters). */
const ACTOR = /^[a-z][a-z0-9]*([.-][a-z0-9]+)*$/;
const TENANT_PAGE = 500;

export class InvalidSystemActorError extends Error {}

export function assertSystemActor(actor: string): void {
  if (!ACTOR.test(actor) || actor.length > 128) throw new InvalidSystemActorError(`invalid system actor ${actor}`);
}

/** Runs `work` as the named system actor: its audit rows say actor_type 'system', actor_id `actor`. */
export function actAsSystem<T>(actor: string, work: () => Promise<T>, requestId?: string): Promise<T> {
  assertSystemActor(actor);
  return runInContext({ requestId: requestId ?? currentContext()?.requestId ?? randomUUID(), actor: { type: 'system', id: actor } }, work);
}

export interface TenantVisit {
  tenantId: string;
  error?: unknown;
}

/**
 * Work that spans tenants (retention, key rotation, archive, relay housekeeping), done as a named system actor one
 * tenant at a time on the runtime role: row-level security still applies, so inside one tenant's scope another
 * tenant's rows are invisible, and a transaction for a second tenant is refused. Which tenants exist comes from the
 * SECURITY DEFINER function system_tenant_ids (ids only), never from the owner connection.
 */
export class SystemScope {
  constructor(
    readonly actor: string,
    private readonly appDataSource: DataSource,
    private readonly transactions: TenantTransactions,
  ) {
    assertSystemActor(actor);
  }

  /** Every tenant id, in id order, fetched a page at a time. */
  async *tenantIds(): AsyncGenerator<string> {
    let after: string | null = null;
    for (;;) {
      const rows = await this.appDataSource.query('SELECT id FROM system_tenant_ids($1, $2) AS id', [after, TENANT_PAGE]) as { id: string }[];
      for (const row of rows) yield row.id;
      if (rows.length < TENANT_PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }

  /**
   * One transaction in `tenantId`'s scope, as this actor. Keep it short: a long pass over one tenant is several
   * calls, each its own transaction.
   */
  inTenant<T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    const requestId = currentContext()?.requestId ?? randomUUID();
    return runInContext({ requestId, actor: { type: 'system', id: this.actor }, tenantId },
      () => this.transactions.run(tenantId, work));
  }

  /**
   * Visits every tenant in turn. One tenant's failure does not stop the pass: it is returned with the others, and
   * the caller decides whether the job failed.
   */
  async forEachTenant(work: (tx: TenantTx) => Promise<void>): Promise<TenantVisit[]> {
    const visits: TenantVisit[] = [];
    for await (const tenantId of this.tenantIds()) {
      try {
        await this.inTenant(tenantId, work);
        visits.push({ tenantId });
      } catch (error) {
        visits.push({ tenantId, error });
      }
    }
    return visits;
  }
}
