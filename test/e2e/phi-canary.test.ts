import { execFileSync } from 'node:child_process';
import { runCli, startServer, waitForReady } from '../support/built-app';
import { testEnvironment, workerDatabaseUrl } from '../support/test-environment';

/**
 * The compiled service, logging at trace level: a canary written as a message body, an edit, a conversation title,
 * an attachment file name, an idempotency key and a search query must not appear in a pg_dump of the database
 * (audit, outbox and search index included) nor anywhere in the service's output.
 */
const PASSWORD = 'a long enough password';

describe('PHI canary', () => {
  it('is absent from pg_dump, from outbox payloads and from the logs', async () => {
    const canary = `Canaryphi${Date.now().toString(36)}`;
    const port = 39_200 + Number(process.env.JEST_WORKER_ID ?? 1);
    const env = { DATABASE_URL: workerDatabaseUrl(), DATA_DIR: testEnvironment().dataDir, MIGRATIONS_RUN: 'false' };
    const slug = `canary-${Date.now().toString(36)}`;
    const tenant = await runCli(['tenant', 'create', '--slug', slug, '--name', 'Canary Clinic', '--admin-email', `admin@${slug}.test`], { ...env, ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'warn' });
    expect(tenant.code).toBe(0);

    const server = startServer({ ...env, PORT: String(port), LOG_LEVEL: 'trace' });
    try {
      expect((await waitForReady(port, 60_000)).status).toBe(200);
      const call = async (method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
      };
      const login = async (email: string): Promise<string> => {
        const answer = await call('POST', '/v1/auth/login', { tenant: slug, email, password: PASSWORD });
        expect(answer.status).toBe(200);
        return String(answer.body.accessToken);
      };
      const admin = await login(`admin@${slug}.test`);
      const colleague = await call('POST', '/v1/users', { email: `nurse@${slug}.test`, displayName: 'Nurse', password: PASSWORD, role: 'member' }, admin);
      expect(colleague.status).toBe(201);

      const room = await call('POST', '/v1/conversations', { type: 'group', memberIds: [colleague.body.id], title: `Title ${canary}` }, admin);
      expect(room.status).toBe(201);
      const base = `/v1/conversations/${String(room.body.id)}`;
      const sent = await call('POST', `${base}/messages`, { body: `Body ${canary} needs review` }, admin, { 'idempotency-key': `key-${canary}` });
      expect(sent.status).toBe(201);
      expect((await call('PATCH', `${base}/messages/1`, { body: `Edited ${canary} reviewed` }, admin)).status).toBe(200);
      expect((await call('GET', `${base}/messages/1/history`, undefined, admin)).body.items).toEqual([expect.objectContaining({ body: `Body ${canary} needs review` })]);
      expect((await call('GET', `/v1/search/messages?q=${canary}`, undefined, admin)).status).toBe(200);
      expect((await call('PATCH', base, { title: `Renamed ${canary}` }, admin)).status).toBe(200);
      const attachment = await call('POST', '/v1/attachments', { conversationId: room.body.id, fileName: `${canary}-scan.png`, contentType: 'image/png', size: 100 }, admin);
      expect(attachment.status).toBe(201);
      expect(JSON.stringify(attachment.body.upload)).not.toContain(canary);
      const refused = await call('POST', `${base}/messages`, { body: `${canary}\u0007` }, admin);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).not.toContain(canary);

      const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', workerDatabaseUrl()], { maxBuffer: 512 * 1024 * 1024 }).toString();
      expect(dump).toContain(String(sent.body.id));
      const hexCanary = Buffer.from(canary).toString('hex');
      expect(dump).not.toContain(canary);
      expect(dump.toLowerCase()).not.toContain(canary.toLowerCase());
      expect(dump).not.toContain(hexCanary);
      const outbox = dump.split('\n').filter((line) => line.includes('message.created'));
      expect(outbox.length).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
    expect(server.output()).toContain('"requestId"');
    expect(server.output().toLowerCase()).not.toContain(canary.toLowerCase());
  }, 120_000);
});
