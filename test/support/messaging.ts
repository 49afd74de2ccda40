import { asOwner } from './fixtures';
import { HttpAnswer, TestApi, TestTenant } from './identity';

/** A signed-in user of a test tenant. */
export interface Member {
  id: string;
  token: string;
}

export interface Clinic {
  tenant: TestTenant;
  admin: Member;
  members: Member[];
}

/**
 * A fresh tenant with its admin and `memberCount` members, each signed in. Tenant settings are stored before the
 * first login, because the app remembers a tenant's settings for a few seconds once it has read them.
 */
export async function openClinic(api: TestApi, memberCount: number, settings: Record<string, unknown> = {}): Promise<Clinic> {
  const tenant = await api.provisionTenant();
  if (Object.keys(settings).length > 0) {
    await asOwner((db) => db.query('UPDATE tenant SET settings = settings || $2::jsonb WHERE id = $1', [tenant.tenantId, JSON.stringify(settings)]), api.platform);
  }
  const adminToken = (await api.session(tenant.slug, tenant.adminEmail)).accessToken;
  const members = await Promise.all(Array.from({ length: memberCount }, async () => {
    const user = await api.createUser(adminToken, 'member');
    return { id: user.id, token: (await api.session(tenant.slug, user.email)).accessToken };
  }));
  return { tenant, admin: { id: tenant.adminUserId, token: adminToken }, members };
}

export function expectStatus(answer: HttpAnswer, status: number): HttpAnswer {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer;
}

export async function openGroup(api: TestApi, owner: Member, others: readonly Member[], title: string | null = 'Ward 4 handover'): Promise<string> {
  const answer = await api.call('POST', '/v1/conversations', { type: 'group', memberIds: others.map((member) => member.id), title }, { token: owner.token });
  return String(expectStatus(answer, 201).body.id);
}

export function sendMessage(api: TestApi, sender: Member, conversationId: string, body: string | Record<string, unknown>, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const payload = typeof body === 'string' ? { body } : body;
  return api.call('POST', `/v1/conversations/${conversationId}/messages`, payload, { token: sender.token, headers });
}

export async function sent(api: TestApi, sender: Member, conversationId: string, body: string): Promise<{ id: string; seq: number }> {
  const answer = expectStatus(await sendMessage(api, sender, conversationId, body), 201);
  return { id: String(answer.body.id), seq: Number(answer.body.seq) };
}
