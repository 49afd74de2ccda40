import { AuditEventInput } from '../audit/audit-event';
import { QueryRows, TenantTx } from '../database/tenant-transactions';
import { InvalidOutboxEventError } from '../realtime/outbox';
import { Statement } from './statement-builder';
import { rowsNamed, WriteEvidence } from './write-evidence';

const TENANT = '11111111-1111-4111-8111-111111111111';
const OUTBOX = { channel: 'note:n1', eventType: 'note.created', payload: { noteId: 'n1' } };

/** A transaction that keeps what it was sent, and an audit writer that keeps what it was asked to write. */
function fakes(): { tx: TenantTx; sent: string[]; evidence: WriteEvidence; audited: AuditEventInput[] } {
  const sent: string[] = [];
  const audited: AuditEventInput[] = [];
  const tx: TenantTx = {
    tenantId: TENANT,
    query: <T>(sql: string): Promise<QueryRows<T>> => {
      sent.push(sql);
      return Promise.resolve({ rows: [], rowCount: 1 });
    },
    onCommit: () => undefined,
  };
  const evidence = new WriteEvidence('note', {
    recordInTransaction: async (into, event) => {
      audited.push(event);
      await into.query('INSERT INTO audit_event …');
    },
    rowValues: (_into, event) => {
      audited.push(event);
      return Promise.resolve(['a1', 'a2']);
    },
  });
  return { tx, sent, evidence, audited };
}

describe('WriteEvidence', () => {
  it('names a write `<resource>.<verb>` and one row by id, unless the caller names the action', () => {
    const { evidence } = fakes();
    expect(evidence.eventOf('update', ['n1'], {}, { fields: ['body'] })).toEqual({
      action: 'note.update', outcome: 'success', resourceType: 'note', resourceId: 'n1', details: { fields: ['body'] },
    });
    expect(evidence.eventOf('delete', ['n1', 'n2'], { auditAction: 'note.purge', auditDetails: { reason: 'retention' } }, rowsNamed(['n1', 'n2']))).toEqual({
      action: 'note.purge', outcome: 'success', resourceType: 'note', resourceId: undefined, details: { count: 2, ids: ['n1', 'n2'], reason: 'retention' },
    });
  });

  it('names at most a hundred rows of a multi-row write', () => {
    const ids = Array.from({ length: 150 }, (_, i) => `n${i}`);
    expect(rowsNamed(ids)).toEqual({ count: 150, ids: ids.slice(0, 100) });
  });

  it('records the audit event, then the outbox row, in the write\'s transaction', async () => {
    const { tx, sent, evidence } = fakes();
    await evidence.record(tx, evidence.eventOf('create', ['n1'], {}), OUTBOX);
    expect(sent).toEqual(['INSERT INTO audit_event …', 'INSERT INTO outbox_event (tenant_id, channel, event_type, payload) VALUES ($1, $2, $3, $4)']);
    sent.length = 0;
    await evidence.record(tx, evidence.eventOf('create', ['n1'], {}));
    expect(sent).toEqual(['INSERT INTO audit_event …']);
  });

  it('as parts of the write\'s statement, inserts one audit row and one outbox row per written row, the drawn value in the payload', async () => {
    const { tx, evidence, audited } = fakes();
    const statement = new Statement();
    statement.add('row value');
    const parts = await evidence.statementParts(tx, statement, evidence.eventOf('create', ['n1'], {}), OUTBOX, { property: 'seq', column: 'seq' });
    expect(parts.map((part) => part.replace(/\s+/g, ' '))).toEqual([
      'audited AS (INSERT INTO audit_event (id, tenant_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id, outcome, '
        + 'request_id, ip, user_agent, details, row_mac, mac_key_version) SELECT $2, $3 FROM written)',
      'announced AS (INSERT INTO outbox_event (tenant_id, channel, event_type, payload) '
        + 'SELECT $4, $5, $6, $7::jsonb || jsonb_build_object(\'seq\', written.seq) FROM written)',
    ]);
    expect(statement.params).toEqual(['row value', 'a1', 'a2', TENANT, 'note:n1', 'note.created', '{"noteId":"n1"}']);
    expect(audited).toEqual([expect.objectContaining({ action: 'note.create', resourceId: 'n1' })]);
  });

  it('without an announcement, the statement carries the audit event only', async () => {
    const { tx, evidence } = fakes();
    const parts = await evidence.statementParts(tx, new Statement(), evidence.eventOf('create', ['n1'], {}));
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatch(/^audited AS \(INSERT INTO audit_event/);
  });

  it('refuses an announcement whose payload could carry text (PHI) before anything is written', async () => {
    const { tx, sent, evidence } = fakes();
    const chatty = { ...OUTBOX, payload: { note: 'Patient reports chest pain' } };
    await expect(evidence.statementParts(tx, new Statement(), evidence.eventOf('create', ['n1'], {}), chatty)).rejects.toBeInstanceOf(InvalidOutboxEventError);
    expect(sent).toEqual([]);
  });
});
