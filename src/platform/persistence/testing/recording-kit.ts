import { createSecretKey } from 'node:crypto';
import { AuditEventInput } from '../../audit/audit-event';
import { KeyPurpose, VersionedKey } from '../../crypto/tenant-keys';
import { QueryRows, TenantTx } from '../../database/tenant-transactions';
import { PersistenceKit } from '../tenant-scoped.repository';

/** One statement as a repository sent it. */
export interface RecordedStatement {
  sql: string;
  params: readonly unknown[];
}

/** Rows the fake database answers a statement with; no rows unless told otherwise. */
export type Responder = (statement: RecordedStatement) => Record<string, unknown>[];

/** The audit row's values as the fake writer returns them: fixed, so recorded parameters are stable. */
export const FAKE_AUDIT_ROW: readonly unknown[] = Array.from({ length: 15 }, (_, i) => `audit-${i + 1}`);

/**
 * A PersistenceKit without PostgreSQL: every statement is recorded (and answered by `respond`), keys are fixed per
 * purpose, and audit events are kept in memory. For unit specs of what repositories send to the database.
 */
export class RecordingKit {
  readonly statements: RecordedStatement[] = [];
  readonly audited: AuditEventInput[] = [];
  readonly kit: PersistenceKit;

  constructor(respond: Responder = () => []) {
    const statements = this.statements;
    const audited = this.audited;
    const key = (purpose: KeyPurpose, version: number): VersionedKey => ({ version, key: createSecretKey(Buffer.alloc(32, `${purpose}${version}`)) });
    let open: TenantTx | undefined;
    const transaction = (tenantId: string): TenantTx => ({
      tenantId,
      query: <R>(sql: string, params: readonly unknown[] = []): Promise<QueryRows<R>> => {
        const statement = { sql, params };
        statements.push(statement);
        const rows = respond(statement) as R[];
        return Promise.resolve({ rows, rowCount: rows.length });
      },
      onCommit: () => undefined,
    });
    this.kit = new PersistenceKit(
      {
        // Sequential specs only: the open transaction is one field, not an async context.
        run: async <T>(tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> => {
          if (open) return work(open);
          open = transaction(tenantId);
          try {
            return await work(open);
          } finally {
            open = undefined;
          }
        },
        current: () => open,
      },
      {
        current: (_tenantId, purpose) => Promise.resolve(key(purpose, 1)),
        version: (_tenantId, purpose, version) => Promise.resolve(key(purpose, version)),
      },
      {
        record: (input) => {
          audited.push(input);
          return Promise.resolve();
        },
        recordInTransaction: (tx, input) => {
          audited.push(input);
          return tx.query('INSERT INTO audit_event VALUES (<recorded>)').then(() => undefined);
        },
        rowValues: (_tx, input) => {
          audited.push(input);
          return Promise.resolve([...FAKE_AUDIT_ROW]);
        },
      },
    );
  }
}

/**
 * A statement as reviewers read it in a snapshot: whitespace collapsed, one line per clause, and parameters by number
 * with their values (bytes, which are sealed or keyed and so differ on every run, by length only).
 */
export function reviewable({ sql, params }: RecordedStatement): string {
  const text = sql.replace(/\s+/g, ' ').trim()
    .replace(/\), (\w+) AS \(/g, '),\n  $1 AS (')
    .replace(/ (FROM|JOIN|WHERE|GROUP BY|ORDER BY|LIMIT|RETURNING|SELECT \* FROM) /g, '\n  $1 ');
  const values = params.map((param, i) => `  $${i + 1} = ${describe(param)}`);
  return [text, ...values].join('\n');
}

function describe(value: unknown): string {
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}
