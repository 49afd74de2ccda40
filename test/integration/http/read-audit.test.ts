import { asOwner } from '../../support/fixtures';
import { TestApi, TestTenant } from '../../support/identity';

interface AuditRow {
  action: string;
  outcome: string;
  resource_type: string | null;
  resource_id: string | null;
  details: Record<string, unknown>;
}

async function eventsOf(requestId: string): Promise<AuditRow[]> {
  return asOwner(async (owner) => (await owner.query(
    'SELECT action, outcome, resource_type, resource_id, details FROM audit_event WHERE request_id = $1', [requestId])).rows);
}

describe('a request that reads PHI is one audit event naming what it read', () => {
  let api: TestApi;
  let tenant: TestTenant;
  let token: string;
  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.provisionTenant();
    token = (await api.session(tenant.slug, tenant.adminEmail)).accessToken;
  });
  afterAll(async () => { await api.close(); });

  it('names the one record a GET read', async () => {
    const user = await api.createUser(token, 'member', 'Robin Hale');
    const answer = await api.call('GET', `/v1/users/${user.id}`, undefined, { token, headers: { 'x-request-id': `read-one-${user.id}` } });
    expect(answer.status).toBe(200);
    expect(await eventsOf(`read-one-${user.id}`)).toEqual([expect.objectContaining({
      action: 'user.get', outcome: 'success', resource_type: 'user', resource_id: user.id,
      details: expect.objectContaining({ 'read.user.ids': [user.id], 'read.user.count': 1, 'read.user.actions': ['user.read'], status: 200 }),
    })]);
  });

  it('names every record a search returned, in the same single event', async () => {
    const first = await api.createUser(token, 'member', 'Quincy Adler');
    const second = await api.createUser(token, 'member', 'Quinn Adams');
    const answer = await api.call('GET', '/v1/users?q=qui', undefined, { token, headers: { 'x-request-id': 'read-search-qui' } });
    expect(answer.status).toBe(200);
    const events = await eventsOf('read-search-qui');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'user.list', resource_id: null, details: { 'read.user.count': 2, 'read.user.actions': ['user.search'] } });
    expect(events[0].details['read.user.ids']).toEqual(expect.arrayContaining([first.id, second.id]));
  });

  it('is one event for a refused request too', async () => {
    const answer = await api.call('PATCH', `/v1/users/${tenant.adminUserId}`, { role: 'member' }, { token, headers: { 'x-request-id': 'read-then-refused' } });
    expect(answer.status).toBe(403);
    expect(await eventsOf('read-then-refused')).toEqual([expect.objectContaining({ action: 'user.update', outcome: 'denied' })]);
  });
});
