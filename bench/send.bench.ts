/**
 * Messages sent per second over HTTP, the full send path, against the raw ceiling: the same writes from pg directly.
 * Targets on the 2-core reference machine: >= 2,000 msg/s at saturation, HTTP / ceiling >= 0.45, p99 <= 25 ms at
 * 1,000 msg/s offered.
 *
 *   npm run bench:send
 *
 * HTTP send:     POST /v1/conversations/:id/messages over real sockets to the app from createHttpApp listening on
 *                127.0.0.1, from autocannon in a worker thread: BENCH_CONNECTIONS keep-alive connections, one request
 *                in flight on each, spread over BENCH_CONVERSATIONS group conversations (connection i is member i,
 *                signed in by a real login, sending to conversation i % BENCH_CONVERSATIONS). Bodies are short
 *                clinical messages, each connection cycling through them from its own starting point. The path:
 *                access guard, validation, then the send transaction: one statement that draws the seq under the
 *                conversation's row lock (if the sender is a member) and inserts the sealed message with its search
 *                tokens, its audit event (the request's record) and its outbox event.
 * Raw ceiling:   per message one transaction from pg in this process, as the database owner, on a pool of
 *                DATABASE_POOL_SIZE connections, BENCH_CONNECTIONS concurrent loops over BENCH_CONVERSATIONS other
 *                conversations (same members): the seq UPDATE and the three INSERTs (message, audit_event,
 *                outbox_event) the send commits, with a sealed-size body (the statements are printed at the start).
 * The two alternate round by round (median round reported). Then the paced runs: BENCH_PACED_RATE requests/s
 *                offered, evenly spaced whether or not earlier ones were answered (open loop, node:http in the
 *                worker, at most BENCH_CONNECTIONS sockets); the round with the median p99 is reported.
 * Soak:          HTTP send at saturation for BENCH_SOAK_SECONDS in consecutive windows of BENCH_SOAK_WINDOW_SECONDS,
 *                printing each window's rate and the tenant data-key loads it saw. Run with a short key age
 *                (DATA_KEY_CACHE_MAX_AGE_MS=10000) to see keys retire under load: no window may fall below half the
 *                median window (issue 19: a key load must never stall the pool).
 * Afterwards the database is checked: every conversation's seqs are 1..last_seq without a gap, and the messages,
 * their audit and outbox events number exactly the 201s answered (and the ceiling's committed transactions).
 *
 * Environment:
 *   BENCH_CONNECTIONS       concurrent connections (and ceiling loops; default 64)
 *   BENCH_CONVERSATIONS     conversations the connections are spread over (default 10)
 *   BENCH_PACED_RATE        requests/s offered in the paced runs (default 1000)
 *   BENCH_SECONDS           seconds per measurement (default 8); BENCH_ROUNDS rounds of each kind (default 3);
 *                           BENCH_WARMUP_SECONDS (default 3)
 *   BENCH_DATABASE_URL      server for the fresh database sc_bench_send_<pid> (dropped at the end, also on failure).
 *   BENCH_SOAK_SECONDS      length of the soak (default 60); BENCH_SOAK_WINDOW_SECONDS its windows (default 5)
 *   DATABASE_POOL_SIZE, AUDIT_BATCH_WINDOW_MS, SESSION_CHECK_CACHE_MS, REDIS_URL, DATA_KEY_CACHE_MAX_AGE_MS,
 *   DATA_KEY_CACHE_MAX_USES passed to the app's config; DATABASE_POOL_SIZE also sizes the ceiling's pool.
 */
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { Pool } from 'pg';
import { seal } from '../src/platform/crypto/field-cipher';
import { formatInt, median, positiveNumberFromEnv, round, table, Verdict } from './bench-support';
import {
  assertRunClean, BenchApp, describeRound, figures, HttpCall, HttpLoadGenerator, interleave, machineLoad, medianRate, roundsSettingsFromEnv,
  runClosedLoop, RunResult, Side, startBenchApp, stopOnSignals, summaryTable,
} from './http-load';

const TARGET_MESSAGES_PER_SEC = 2000;
const TARGET_RATIO = 0.45;
const TARGET_PACED_P99_MS = 25;
const USER_AGENT = 'sealed-channels-bench/1.0';
/** Argon2 hashing dominates user creation and login: a few at a time keep the setup quick without starving it. */
const SETUP_CONCURRENCY = 4;

/** About ten words each, no names: what a ward team sends each other. */
const CLINICAL_MESSAGES: readonly string[] = [
  'Bed 12 BP 92/58 after second bolus, please review soon',
  'Potassium 3.1 this morning, replacing per protocol, recheck at 14:00',
  'Patient in 7B asking about discharge meds, can pharmacy call?',
  'CT head reported no acute bleed, neuro obs stable overnight',
  'Family meeting moved to 15:30 in the quiet room today',
  'Dressing changed, mild erythema at wound margins, photo in chart',
  'Sats dropped to 89% on room air, started 2L nasal cannula',
  'Insulin sliding scale restarted, glucose 14.2 before lunch, rechecking hourly',
  'Physio cleared mobilising with frame, supervision needed on stairs',
  'Blood cultures sent from both arms before first antibiotic dose',
  'Can someone cover bay 3 while I escort to MRI?',
  'Repeat troponin unchanged at 6 hours, cardiology happy to discharge',
  'New admission from ED with chest pain, ECG attached, 20 minutes',
  'Fluid balance positive 1.2 litres, consider holding maintenance fluids overnight',
  'Pain score 7 despite oral morphine, please review analgesia plan',
  'Catheter removed at 06:00, awaiting first void, bladder scan at noon',
  'Haemoglobin 78 down from 95, group and save sent',
  'INR 3.4 today, warfarin held, recheck tomorrow morning please',
  'Temperature 38.6, flucloxacillin due at 18:00, cultures still pending',
  'Handover: bed 4 nil by mouth from midnight for theatre',
  'OT assessment booked Thursday afternoon, family informed and happy',
  'Delirium screen positive, orientation aids and sleep hygiene started',
  'Pharmacy flagged clarithromycin with simvastatin, statin paused for now',
  'Falls risk reassessed after near miss, bed alarm now on',
];

/** The ceiling's transaction, statement by statement: the seq draw, then the three INSERTs the send commits. */
const CEILING_SQL = {
  nextSeq: `UPDATE conversation SET last_seq = last_seq + 1, last_message_at = $3, last_activity_at = $3, updated_at = now()
            WHERE tenant_id = $1 AND id = $2 RETURNING last_seq`,
  message: `INSERT INTO message (id, tenant_id, conversation_id, seq, sender_id, body_sealed, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  audit: `INSERT INTO audit_event (id, tenant_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id,
                                   outcome, request_id, ip, user_agent, details, row_mac, mac_key_version)
          VALUES ($1, $2, $3, 'user', $4, 'message.create', 'message', $5, 'success', $6, '127.0.0.1', $7, $8, $9, 1)`,
  outbox: `INSERT INTO outbox_event (tenant_id, channel, event_type, payload) VALUES ($1, $2, 'message.created', $3)`,
} as const;

function oneLine(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}

type AnswerBody = Record<string, unknown>;

/** A JSON POST to the app; throws unless it answers `expectStatus`. */
async function postJson(baseUrl: string, path: string, body: unknown, expectStatus: number, token?: string): Promise<AnswerBody> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as AnswerBody;
  if (response.status !== expectStatus) throw new Error(`POST ${path}: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

function stringField(answer: AnswerBody, field: string): string {
  const value = answer[field];
  if (typeof value !== 'string') throw new Error(`the answer has no ${field}: ${JSON.stringify(answer)}`);
  return value;
}

async function login(baseUrl: string, tenant: string, email: string, password: string): Promise<string> {
  return stringField(await postJson(baseUrl, '/v1/auth/login', { tenant, email, password }, 200), 'accessToken');
}

/** `work` for 0 … count-1, at most `concurrency` at a time, results in order. */
async function boundedMap<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) results[index] = await work(index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

interface Member {
  id: string;
  token: string;
}

interface Clinic {
  tenantId: string;
  /** Member i is connection i (and ceiling loop i). */
  members: Member[];
  /** members[i] belongs to sendConversations[i % n] and ceilingConversations[i % n]. */
  sendConversations: string[];
  ceilingConversations: string[];
}

/** A tenant, one signed-in member per connection, and two sets of group conversations (HTTP, ceiling) made over HTTP. */
async function openClinic(bench: BenchApp, connections: number, conversations: number): Promise<Clinic> {
  const password = `bench password ${randomUUID()}`;
  const adminEmail = 'bench-admin@clinic.test';
  const tenant = await bench.provisionTenant(adminEmail, password);
  const adminToken = await login(bench.baseUrl, tenant.slug, adminEmail, password);
  const members = await boundedMap(connections, SETUP_CONCURRENCY, async (i) => {
    const email = `clinician-${i + 1}@clinic.test`;
    const created = await postJson(bench.baseUrl, '/v1/users', { email, displayName: `Clinician ${i + 1}`, password, role: 'member' }, 201, adminToken);
    return { id: stringField(created, 'id'), token: await login(bench.baseUrl, tenant.slug, email, password) };
  });
  const openGroups = (title: string): Promise<string[]> => boundedMap(conversations, SETUP_CONCURRENCY, async (c) => {
    const memberIds = members.filter((_, i) => i % conversations === c).map((member) => member.id);
    const created = await postJson(bench.baseUrl, '/v1/conversations', { type: 'group', memberIds, title: `${title} ${c + 1}` }, 201, adminToken);
    return stringField(created, 'id');
  });
  return { tenantId: tenant.tenantId, members, sendConversations: await openGroups('Ward handover'), ceilingConversations: await openGroups('Ceiling ward') };
}

/** Each connection's requests: its member's token, its conversation, the clinical messages from its own starting point. */
function sendCalls(clinic: Clinic): HttpCall[] {
  return clinic.members.map((member, i) => ({
    method: 'POST',
    path: `/v1/conversations/${clinic.sendConversations[i % clinic.sendConversations.length]}/messages`,
    headers: { authorization: `Bearer ${member.token}`, 'user-agent': USER_AGENT },
    jsonBody: CLINICAL_MESSAGES.map((_, k) => JSON.stringify({ body: CLINICAL_MESSAGES[(i + k) % CLINICAL_MESSAGES.length] })),
  }));
}

/** Real envelopes of the clinical messages, sealed once under a throwaway key: body_sealed as large as the send's. */
function sealedMessages(tenantId: string): Buffer[] {
  const throwawayKey = createSecretKey(randomBytes(32));
  return CLINICAL_MESSAGES.map((body) => seal(throwawayKey, 1, body, { tenantId, table: 'message', column: 'body_sealed', rowId: randomUUID() }));
}

/** One ceiling message: the seq UPDATE and the three INSERTs, one transaction, one round trip per statement. */
function ceilingSender(pool: Pool, clinic: Clinic, sealedBodies: readonly Buffer[]): () => Promise<boolean> {
  const rowMac = randomBytes(32);
  let sent = 0;
  return async () => {
    const k = sent++;
    const memberIndex = k % clinic.members.length;
    const senderId = clinic.members[memberIndex].id;
    const conversationId = clinic.ceilingConversations[memberIndex % clinic.ceilingConversations.length];
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const now = new Date();
      const { rows: [{ last_seq: seq }] } = await client.query<{ last_seq: string }>(CEILING_SQL.nextSeq, [clinic.tenantId, conversationId, now]);
      const messageId = randomUUID();
      await client.query(CEILING_SQL.message, [messageId, clinic.tenantId, conversationId, seq, senderId, sealedBodies[k % sealedBodies.length], now]);
      await client.query(CEILING_SQL.audit, [randomUUID(), clinic.tenantId, now, senderId, messageId, randomUUID(), USER_AGENT,
        JSON.stringify({ conversationId, seq: Number(seq) }), rowMac]);
      await client.query(CEILING_SQL.outbox, [clinic.tenantId, `conversation:${conversationId}`, JSON.stringify({ conversationId, messageId, seq: Number(seq) })]);
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackFailure: unknown) => {
        broken = rollbackFailure instanceof Error ? rollbackFailure : new Error('rollback failed');
      });
      throw error;
    } finally {
      client.release(broken);
    }
  };
}

interface ConversationCheck {
  id: string;
  last_seq: number;
  messages: number;
  min_seq: number;
  max_seq: number;
}

interface SetCheck {
  messages: number;
  gapFree: boolean;
  gaps: string[];
  auditCreate: number;
  outbox: number;
  bodyTokens: number;
}

/** Seqs 1..last_seq without a gap in every conversation of the set, and the rows written alongside the messages. */
async function checkConversations(bench: BenchApp, conversationIds: readonly string[]): Promise<SetCheck> {
  const { rows } = await bench.owner.query<ConversationCheck>(`
    SELECT c.id, c.last_seq::int AS last_seq, count(m.id)::int AS messages, coalesce(min(m.seq), 0)::int AS min_seq, coalesce(max(m.seq), 0)::int AS max_seq
      FROM conversation c LEFT JOIN message m ON m.conversation_id = c.id
     WHERE c.id = ANY($1::uuid[]) GROUP BY c.id, c.last_seq`, [conversationIds]);
  const gaps = rows
    .filter((row) => row.messages !== row.max_seq || row.max_seq !== row.last_seq || (row.messages > 0 && row.min_seq !== 1))
    .map((row) => `${row.id}: ${row.messages} messages, seq ${row.min_seq}..${row.max_seq}, last_seq ${row.last_seq}`);
  const { rows: [related] } = await bench.owner.query<{ audit_create: number; outbox: number; body_tokens: number }>(`
    SELECT (SELECT count(*)::int FROM audit_event WHERE action = 'message.create' AND details->>'conversationId' = ANY($1::text[])) AS audit_create,
           (SELECT count(*)::int FROM outbox_event WHERE event_type = 'message.created' AND payload->>'conversationId' = ANY($1::text[])) AS outbox,
           (SELECT coalesce(sum(array_length(body_tokens, 1)), 0)::int FROM message WHERE conversation_id = ANY($1::uuid[])) AS body_tokens`,
  [conversationIds]);
  return {
    messages: rows.reduce((sum, row) => sum + row.messages, 0),
    gapFree: gaps.length === 0 && rows.length === conversationIds.length,
    gaps,
    auditCreate: related.audit_create,
    outbox: related.outbox,
    bodyTokens: related.body_tokens,
  };
}

function atLeast(value: number, target: number): Verdict {
  return value >= target ? 'PASS' : 'BELOW';
}

function atMost(value: number, limit: number): Verdict {
  return value <= limit ? 'PASS' : 'BELOW';
}

/** The round whose p99 is the median (the lower of the two middle ones for an even count). */
function medianP99Round(rounds: readonly RunResult[]): RunResult {
  const byP99 = [...rounds].sort((a, b) => a.p99Ms - b.p99Ms);
  return byP99[Math.floor((byP99.length - 1) / 2)];
}

interface SoakWindow {
  perSec: number;
  failed: number;
  keyLoads: number;
}

interface Soak {
  windows: SoakWindow[];
  medianPerSec: number;
  minPerSec: number;
  keyLoads: number;
  verdict: Verdict;
}

/** Saturation in back-to-back windows: a stall (every connection waiting) shows as a window far below the others. */
async function soak(send: (seconds: number) => Promise<RunResult>, keyLoads: () => number, seconds: number, windowSeconds: number): Promise<Soak> {
  const windows: SoakWindow[] = [];
  const loadsAtStart = keyLoads();
  for (let elapsed = 0; elapsed < seconds; elapsed += windowSeconds) {
    const loadsBefore = keyLoads();
    const result = await send(Math.min(windowSeconds, seconds - elapsed));
    const window = { perSec: result.perSec, failed: result.failed, keyLoads: keyLoads() - loadsBefore };
    windows.push(window);
    console.log(`soak ${String(elapsed).padStart(3)}-${String(elapsed + windowSeconds).padEnd(3)} s  ${formatInt(window.perSec).padStart(6)} msg/s  `
      + `failed ${window.failed}  key loads ${window.keyLoads}`);
  }
  const rates = windows.map((window) => window.perSec);
  const medianPerSec = median(rates);
  const minPerSec = Math.min(...rates);
  const clean = windows.every((window) => window.failed === 0);
  return { windows, medianPerSec, minPerSec, keyLoads: keyLoads() - loadsAtStart, verdict: clean && minPerSec >= medianPerSec / 2 ? 'PASS' : 'BELOW' };
}

function matchWord(matches: boolean): string {
  return matches ? 'MATCH' : 'MISMATCH';
}

async function main(): Promise<void> {
  const connections = Math.round(positiveNumberFromEnv('BENCH_CONNECTIONS', 64));
  const conversations = Math.round(positiveNumberFromEnv('BENCH_CONVERSATIONS', 10));
  const pacedRate = positiveNumberFromEnv('BENCH_PACED_RATE', 1000);
  const settings = roundsSettingsFromEnv({ warmupSeconds: 3, seconds: 8, rounds: 3 });
  const soakSeconds = positiveNumberFromEnv('BENCH_SOAK_SECONDS', 60);
  const soakWindowSeconds = positiveNumberFromEnv('BENCH_SOAK_WINDOW_SECONDS', 5);
  if (conversations > connections) throw new Error('BENCH_CONVERSATIONS must not exceed BENCH_CONNECTIONS: every conversation needs a sender');
  let bench: BenchApp | undefined;
  let load: HttpLoadGenerator | undefined;
  let ceilingPool: Pool | undefined;
  let checksPass: boolean;
  try {
    bench = await startBenchApp('send');
    load = new HttpLoadGenerator();
    const setupStart = Date.now();
    const clinic = await openClinic(bench, connections, conversations);
    const { config } = bench.platform;
    ceilingPool = new Pool({ connectionString: bench.ownerUrl, max: config.DATABASE_POOL_SIZE, application_name: 'sc-bench-ceiling' });

    const generator = load;
    const baseUrl = bench.baseUrl;
    const calls = sendCalls(clinic);
    let answered201 = 0;
    let ceilingCommitted = 0;
    const send: Side = {
      name: 'HTTP send',
      run: async (seconds) => {
        const result = await generator.run({ baseUrl, connections, seconds, calls, expectStatus: 201 });
        answered201 += result.completed;
        return result;
      },
    };
    const sealedBodies = sealedMessages(clinic.tenantId);
    const ceilingOp = ceilingSender(ceilingPool, clinic, sealedBodies);
    const ceiling: Side = {
      name: 'raw ceiling (pg)',
      run: async (seconds) => {
        const result = await runClosedLoop(ceilingOp, connections, seconds);
        ceilingCommitted += result.completed;
        return result;
      },
    };
    const paced: Side = {
      name: `paced ${formatInt(pacedRate)}/s`,
      run: async (seconds) => {
        const result = await generator.run({ baseUrl, connections, seconds, calls, expectStatus: 201, ratePerSec: pacedRate });
        answered201 += result.completed;
        return result;
      },
    };

    const { rows: [server] } = await bench.owner.query<{ version: string; synchronous_commit: string; fsync: string; shared_buffers: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS synchronous_commit,
              current_setting('fsync') AS fsync, current_setting('shared_buffers') AS shared_buffers`);
    console.log(`send bench: POST /v1/conversations/:id/messages, ${connections} keep-alive connections from autocannon in a worker thread, `
      + `one request in flight on each, over ${conversations} group conversations (connection i = member i -> conversation i % ${conversations}); `
      + `${CLINICAL_MESSAGES.length} clinical messages of ${Math.min(...CLINICAL_MESSAGES.map((m) => m.split(' ').length))}-`
      + `${Math.max(...CLINICAL_MESSAGES.map((m) => m.split(' ').length))} words, cycled`);
    console.log(`raw ceiling: ${connections} loops in this process over ${conversations} other conversations, pg pool of ${config.DATABASE_POOL_SIZE} `
      + `(DATABASE_POOL_SIZE) as the database owner, one transaction per message, one round trip per statement, unnamed (unprepared) statements like the app's:`);
    console.log('  BEGIN');
    for (const sql of Object.values(CEILING_SQL)) console.log(`  ${oneLine(sql)}`);
    console.log('  COMMIT');
    const sealedSizes = sealedBodies.map((envelope) => envelope.length);
    console.log(`  body_sealed: AES-256-GCM envelopes of the same messages, ${Math.min(...sealedSizes)}-${Math.max(...sealedSizes)} bytes `
      + `(text + ${sealedBodies[0].length - Buffer.byteLength(CLINICAL_MESSAGES[0])}); row_mac 32 random bytes; audit details and outbox payload as the app writes them`);
    console.log(`paced: ${formatInt(pacedRate)} requests/s offered, evenly spaced (open loop, node:http, at most ${connections} sockets); latency from issue to answer`);
    console.log(`${settings.seconds} s per measurement after ${settings.warmupSeconds} s warm-up per side, ${settings.rounds} round(s) each `
      + `(HTTP and ceiling alternating, then the paced rounds); node ${process.version}, ${cpus().length} CPUs; setup ${((Date.now() - setupStart) / 1000).toFixed(1)} s`);
    console.log(`database ${bench.database} (fresh) on PostgreSQL ${server.version} (synchronous_commit=${server.synchronous_commit}, fsync=${server.fsync}, `
      + `shared_buffers=${server.shared_buffers}), DATABASE_POOL_SIZE=${config.DATABASE_POOL_SIZE}, AUDIT_BATCH_WINDOW_MS=${config.AUDIT_BATCH_WINDOW_MS}, `
      + `SESSION_CHECK_CACHE_MS=${config.SESSION_CHECK_CACHE_MS}, cache ${bench.platform.cache.backend}, LOG_LEVEL=${config.LOG_LEVEL}`);
    console.log('');
    console.log(`before: ${machineLoad()}`);
    const onRound = (side: Side, roundNumber: number, result: RunResult): void => console.log(describeRound(side, roundNumber, result));
    const outcome = await interleave(send, ceiling, settings, onRound);
    const pacedRounds: RunResult[] = [];
    for (let roundNumber = 1; roundNumber <= settings.rounds; roundNumber += 1) {
      const result = await paced.run(settings.seconds);
      assertRunClean(paced, result);
      pacedRounds.push(result);
      onRound(paced, roundNumber, result);
    }
    console.log(`soak: ${formatInt(soakSeconds)} s of HTTP send at saturation in ${soakWindowSeconds} s windows, `
      + `DATA_KEY_CACHE_MAX_AGE_MS=${config.DATA_KEY_CACHE_MAX_AGE_MS}, DATA_KEY_CACHE_MAX_USES=${config.DATA_KEY_CACHE_MAX_USES}`);
    const soaked = await soak(send.run, () => bench?.platform.keys.loads ?? 0, soakSeconds, soakWindowSeconds);
    console.log(`after: ${machineLoad()}`);

    const sendRate = medianRate(outcome.subject);
    const ceilingRate = medianRate(outcome.baseline);
    const ratio = sendRate / ceilingRate;
    const pacedMedian = medianP99Round(pacedRounds);
    const verdicts = {
      rate: atLeast(sendRate, TARGET_MESSAGES_PER_SEC),
      ratio: atLeast(ratio, TARGET_RATIO),
      pacedP99: atMost(pacedMedian.p99Ms, TARGET_PACED_P99_MS),
    };
    console.log('');
    console.log(summaryTable('msg/s', [['HTTP send (saturation)', outcome.subject], ['raw ceiling (pg, tx/s)', outcome.baseline]]));
    console.log(`per round  HTTP send: ${outcome.subject.rounds.map((r) => formatInt(r.perSec)).join(', ')}  `
      + `raw ceiling: ${outcome.baseline.rounds.map((r) => formatInt(r.perSec)).join(', ')}`);
    console.log(`paced, ${formatInt(pacedRate)} msg/s offered (round with the median p99): achieved ${formatInt(pacedMedian.perSec)} msg/s, `
      + `p50 ${pacedMedian.p50Ms.toFixed(2)} ms, p99 ${pacedMedian.p99Ms.toFixed(2)} ms (issue lag p99 ${pacedMedian.issueLagP99Ms.toFixed(2)} ms); `
      + `p99 per round: ${pacedRounds.map((r) => r.p99Ms.toFixed(2)).join(', ')} ms`);
    console.log('');
    console.log(table([
      ['target', 'measured', 'wanted', 'verdict'],
      ['HTTP msg/s at saturation', formatInt(sendRate), `>= ${formatInt(TARGET_MESSAGES_PER_SEC)}`, verdicts.rate],
      ['HTTP / raw ceiling', ratio.toFixed(2), `>= ${TARGET_RATIO.toFixed(2)}`, verdicts.ratio],
      [`p99 at ${formatInt(pacedRate)} msg/s offered`, `${pacedMedian.p99Ms.toFixed(2)} ms`, `<= ${TARGET_PACED_P99_MS} ms`, verdicts.pacedP99],
      [`soak: slowest of ${soaked.windows.length} windows (${formatInt(soaked.keyLoads)} key loads)`, `${formatInt(soaked.minPerSec)} msg/s`,
        `>= ${formatInt(soaked.medianPerSec / 2)} (median / 2)`, soaked.verdict],
    ]));

    const sent = await checkConversations(bench, clinic.sendConversations);
    const direct = await checkConversations(bench, clinic.ceilingConversations);
    const sendMatches = sent.messages === answered201 && sent.auditCreate === answered201 && sent.outbox === answered201;
    const ceilingMatches = direct.messages === ceilingCommitted && direct.auditCreate === ceilingCommitted && direct.outbox === ceilingCommitted;
    checksPass = sendMatches && ceilingMatches && sent.gapFree && direct.gapFree;
    console.log('');
    console.log(`check HTTP: 201s answered (incl. warm-up and paced) ${formatInt(answered201)}; messages ${formatInt(sent.messages)}, `
      + `audit message.create ${formatInt(sent.auditCreate)}, outbox message.created ${formatInt(sent.outbox)} `
      + `-> ${matchWord(sendMatches)}; seqs gap-free in all ${conversations} conversations: ${sent.gapFree ? 'YES' : `NO (${sent.gaps.join('; ')})`}`);
    console.log(`check ceiling: transactions committed ${formatInt(ceilingCommitted)}; messages ${formatInt(direct.messages)}, `
      + `audit ${formatInt(direct.auditCreate)}, outbox ${formatInt(direct.outbox)} -> ${matchWord(ceilingMatches)}; `
      + `seqs gap-free in all ${conversations} conversations: ${direct.gapFree ? 'YES' : `NO (${direct.gaps.join('; ')})`}`);
    console.log(`rows per HTTP send: 1 message (with ${(sent.bodyTokens / Math.max(1, sent.messages)).toFixed(1)} search tokens in its body_tokens array), `
      + '1 audit_event (message.create, in the send\'s statement; it is the request\'s record), 1 outbox_event; the ceiling writes 1 + 1 + 1');

    console.log(JSON.stringify({
      bench: 'send',
      connections,
      conversations,
      seconds: settings.seconds,
      rounds: settings.rounds,
      statistic: 'median round',
      node: process.version,
      cpus: cpus().length,
      databasePoolSize: config.DATABASE_POOL_SIZE,
      send: figures(outcome.subject.median),
      ceiling: figures(outcome.baseline.median),
      sendRounds: outcome.subject.rounds.map((r) => Math.round(r.perSec)),
      ceilingRounds: outcome.baseline.rounds.map((r) => Math.round(r.perSec)),
      ratio: round(ratio, 3),
      pacedRate,
      paced: figures(pacedMedian),
      pacedP99Rounds: pacedRounds.map((r) => round(r.p99Ms, 3)),
      soak: { windowSeconds: soakWindowSeconds, perSec: soaked.windows.map((w) => Math.round(w.perSec)), keyLoads: soaked.windows.map((w) => w.keyLoads),
        medianPerSec: Math.round(soaked.medianPerSec), minPerSec: Math.round(soaked.minPerSec), verdict: soaked.verdict },
      targets: { messagesPerSec: TARGET_MESSAGES_PER_SEC, ratio: TARGET_RATIO, pacedP99Ms: TARGET_PACED_P99_MS },
      verdicts,
      answered201,
      messages: sent.messages,
      bodyTokensPerMessage: round(sent.bodyTokens / Math.max(1, sent.messages), 2),
      ceilingCommitted,
      ceilingMessages: direct.messages,
      gapFree: sent.gapFree && direct.gapFree,
      checksPass,
    }));
  } finally {
    await ceilingPool?.end();
    await load?.close();
    await bench?.close();
  }
  process.exit(checksPass ? 0 : 1);
}

stopOnSignals();
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
