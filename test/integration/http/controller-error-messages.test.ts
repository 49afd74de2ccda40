import { randomUUID } from 'node:crypto';
import { TEST_PASSWORD } from '../../support/fixtures';
import { TestApi, TestTenant } from '../../support/identity';

let api: TestApi;
let tenant: TestTenant;
let adminToken: string;

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.provisionTenant();
  adminToken = (await api.session(tenant.slug, tenant.adminEmail)).accessToken;
});
afterAll(async () => {
  await api.close();
});

describe('a Nest exception thrown by a controller', () => {
  it('keeps its message in the envelope: PATCH /v1/users/:id with nothing to change', async () => {
    const created = await api.call(
      'POST',
      '/v1/users',
      { email: `still.${randomUUID().slice(0, 8)}@clinic.test`, displayName: 'Still Same', password: TEST_PASSWORD, role: 'member' },
      { token: adminToken },
    );
    expect(created.status).toBe(201);

    const answer = await api.call('PATCH', `/v1/users/${String(created.body.id)}`, {}, { token: adminToken });

    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'Nothing to change.', details: null });
  });

  it("still never repeats the router's not-found message, which echoes the URL", async () => {
    const answer = await api.call('GET', '/v1/no-such-route?email=jane@example.com', undefined, { token: adminToken });

    expect(answer.status).toBe(404);
    expect(JSON.stringify(answer.body)).not.toContain('jane@example.com');
  });
});
