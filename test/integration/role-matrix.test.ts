import request from 'supertest';
import type { Role } from '../../src/domain/model.js';
import { operationsOf, type Route } from '../../src/http/route.js';
import { routes } from '../../src/http/routes/index.js';
import { invite } from '../../src/domain/people/invitations.js';
import { createResource } from '../../src/domain/resources.js';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createKey, createOrg } from '../support/fixtures.js';
import { asPerson, createPerson, signIn } from '../support/people.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst.close();
});

// DESIGN.md's role table, written out by operation rather than read from roles.ts: a change to
// either one without the other fails here.
const EVERYONE = ['signOut', 'listSessions', 'signOutEverywhere', 'getMe', 'changePassword', 'getOrg', 'listMembers', 'listInvitations'];
const RESOURCES = ['createResource', 'updateResource', 'deleteResource'];
const KEYS = ['listResources', 'createKey', 'listKeys', 'getKey', 'updateKey', 'revokeKey', 'deleteKey', 'rotateKey', 'getKeyUsage'];
const ADMIN = [
  ...EVERYONE,
  ...KEYS,
  'listAuditEvents',
  'getOrgUsage',
  'changeMemberRole',
  'removeMember',
  'createInvitation',
  'withdrawInvitation',
  ...RESOURCES,
];
const ALLOWED: Record<Role, string[]> = {
  owner: [...ADMIN, 'updateOrg', 'transferOwnership', 'listSigningKeys', 'rotateSigningKey'],
  admin: ADMIN,
  developer: [...EVERYONE, ...KEYS],
  viewer: [...EVERYONE],
};

const personRoutes = routes.filter((r) => r.auth.kind === 'bearer' || r.auth.kind === 'session');
const ROLES: Role[] = ['owner', 'admin', 'developer', 'viewer'];

/** The path with its object: the caller's own key, or a developer of the caller's org. */
async function pathFor(route: Route, org: Awaited<ReturnType<typeof createOrg>>, userId: string): Promise<string> {
  const path = operationsOf(route)[0]!.path;
  if (path.startsWith('/v1/invitations/:id')) {
    const { invitation } = await invite(
      inst.deps,
      { orgId: org.id, actor: { type: 'cli', id: null }, scopes: [] },
      `someone-${userId}@example.test`,
      'viewer',
    );
    return path.replace(':id', invitation.id);
  }
  if (path.startsWith('/v1/resources/:id')) {
    const resource = await createResource(
      inst.deps,
      { orgId: org.id, actor: { type: 'cli', id: null }, scopes: [] },
      { name: 'api', audience: `https://api-${userId}.example`, scopes: [] },
    );
    return path.replace(':id', resource.id);
  }
  if (path.includes(':id')) {
    const { key } = await createKey(inst.deps, org, { scopes: ['read'] });
    await inst.deps.db('api_keys').where({ id: key.id }).update({ owner_user_id: userId });
    return path.replace(':id', key.id);
  }
  if (path.includes(':user_id')) return path.replace(':user_id', (await createPerson(inst.deps, org, 'developer')).id);
  return path;
}

describe('every route × every role', () => {
  it('covers every management route of the table', () => {
    const documented = new Set(Object.values(ALLOWED).flat());
    expect(personRoutes.map((r) => r.operationId).filter((id) => !documented.has(id))).toEqual([]);
  });

  for (const role of ROLES) {
    for (const route of personRoutes) {
      const allowed = ALLOWED[role].includes(route.operationId);
      it(`${role} ${allowed ? 'may' : 'may not'} ${route.operationId} (${route.method.toUpperCase()} ${route.path})`, async () => {
        const org = await createOrg(inst.deps);
        await createPerson(inst.deps, org, 'owner'); // never the last owner: the matrix is about roles, not that rule
        const s = await signIn(inst.app, await createPerson(inst.deps, org, role));
        const path = await pathFor(route, org, s.user.id);
        const res = await request(inst.app)[route.method](path).set(asPerson(s)).send(route.request?.example);
        if (allowed) {
          expect([200, 201, 204]).toContain(res.status);
        } else {
          expect(res.status).toBe(403);
          expect(res.body).toEqual({ error: 'forbidden', error_description: `the ${role} role may not do this` });
        }
      });
    }
  }
});
