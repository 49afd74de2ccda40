import { TenantTx } from '../database/tenant-transactions';
import { RealtimePayload } from './realtime-publisher.port';

/** An event announced to realtime subscribers once the change that raised it commits. */
export interface OutboxEvent {
  /** e.g. "conversation:<id>": events of one channel are published in the order their ids were drawn. */
  channel: string;
  /** dotted lower-case, e.g. "message.created" */
  eventType: string;
  /** Ids, sequence numbers and codes: never PHI. */
  payload: RealtimePayload;
}

const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
/** Ids, codes and numbers only: a payload string with spaces or punctuation could be text, so it is refused. */
const PAYLOAD_STRING = /^[A-Za-z0-9_.:+-]{0,128}$/;

export class InvalidOutboxEventError extends Error {}

function assertPhiFreeOutboxEvent(event: OutboxEvent): void {
  if (!EVENT_TYPE.test(event.eventType)) throw new InvalidOutboxEventError(`invalid outbox event type ${event.eventType}`);
  for (const [key, value] of Object.entries(event.payload)) {
    if (typeof value === 'string' && !PAYLOAD_STRING.test(value)) throw new InvalidOutboxEventError(`outbox payload ${key} is not an id or code`);
  }
}

export const OUTBOX_EVENT_COLUMNS = 'tenant_id, channel, event_type, payload';

/** The row (values in OUTBOX_EVENT_COLUMNS order) for an INSERT carried by the caller's own statement. */
export function outboxRowValues(tenantId: string, event: OutboxEvent): unknown[] {
  assertPhiFreeOutboxEvent(event);
  return [tenantId, event.channel, event.eventType, JSON.stringify(event.payload)];
}

/** Appends the event inside the caller's transaction: it exists exactly when the change it announces does. */
export async function appendOutboxEvent(tx: TenantTx, event: OutboxEvent): Promise<void> {
  await tx.query(`INSERT INTO outbox_event (${OUTBOX_EVENT_COLUMNS}) VALUES ($1, $2, $3, $4)`, outboxRowValues(tx.tenantId, event));
}
