import request from 'supertest';
import { MANAGEMENT_SCOPES } from '../../src/domain/scopes.js';
import { operationsOf, pathParams, type Method, type Route } from '../../src/http/route.js';
import { routes } from '../../src/http/routes/index.js';
import type { Organisation } from '../../src/domain/model.js';
import type { TestInstance } from './app.js';
import { createAdmin, createKey, createOrg } from './fixtures.js';
import { createPerson } from './people.js';
import { invite } from '../../src/domain/people/invitations.js';
import { createResource } from '../../src/domain/resources.js';

type ProtectedRoute = { method: Method; path: string; scopes: readonly string[]; body?: object };

/** Every bearer route of the table, at each of its paths, with the example body of its entry. */
export function protectedRoutes(table: readonly Route[] = routes): ProtectedRoute[] {
  return table.flatMap((route) => {
    if (route.auth.kind !== 'bearer') return [];
    const { scopes } = route.auth;
    return operationsOf(route).map(({ path }) => ({ method: route.method, path, scopes, body: route.request?.example }));
  });
}

type ObjectFixture = {
  create(inst: TestInstance, org: Organisation): Promise<{ id: string; name: string }>;
  notFound(id: string): string;
  expectUntouched(inst: TestInstance, object: { id: string; name: string }): Promise<void>;
};

// The objects a bearer route's path can name, by the path up to its first parameter. A route that
// names a new kind of object adds how to make one, what its 404 says and how to see it unchanged.
const OBJECTS: Record<string, ObjectFixture> = {
  '/v1/keys/:id': {
    create: async (inst, org) => (await createKey(inst.deps, org)).key,
    notFound: (id) => `key ${id} not found`,
    expectUntouched: async (inst, key) => {
      const still = await inst.deps.db('api_keys').where({ id: key.id }).first();
      expect(still).toMatchObject({ revoked_at: null, replaced_by: null, name: key.name });
    },
  },
};

OBJECTS['/v1/members/:user_id'] = {
  create: async (inst, org) => {
    const user = await createPerson(inst.deps, org, 'developer');
    return { id: user.id, name: user.email };
  },
  notFound: (id) => `member ${id} not found`,
  expectUntouched: async (inst, user) => {
    const still = await inst.deps.db('memberships').where({ user_id: user.id });
    expect(still).toMatchObject([{ role: 'developer' }]);
  },
};

OBJECTS['/v1/invitations/:id'] = {
  create: async (inst, org) => {
    const { invitation } = await invite(
      inst.deps,
      { orgId: org.id, actor: { type: 'cli', id: null }, scopes: [] },
      `invited-${org.id}@example.test`,
      'viewer',
    );
    return { id: invitation.id, name: invitation.email };
  },
  notFound: (id) => `invitation ${id} not found`,
  expectUntouched: async (inst, invitation) => {
    expect(await inst.deps.db('invitations').where({ id: invitation.id }).first()).toMatchObject({ revoked_at: null, accepted_at: null });
  },
};

OBJECTS['/v1/resources/:id'] = {
  create: async (inst, org) =>
    createResource(
      inst.deps,
      { orgId: org.id, actor: { type: 'cli', id: null }, scopes: [] },
      { name: 'api', audience: `https://${org.id}.example`, scopes: [] },
    ),
  notFound: (id) => `resource ${id} not found`,
  expectUntouched: async (inst, resource) => {
    expect(await inst.deps.db('resources').where({ id: resource.id }).first()).toMatchObject({ name: 'api' });
  },
};

function objectOf(path: string): ObjectFixture | undefined {
  if (pathParams(path).length === 0) return undefined;
  const prefix = /^.*?:\w+/.exec(path)![0];
  const object = OBJECTS[prefix];
  if (!object) throw new TypeError(`protected-route.ts: no fixture for the objects of ${prefix}`);
  return object;
}

const fill = (path: string, id: string) => path.replace(/:\w+/g, id);
const FORGED_ID = 'key_01JAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * The checks every management route shares: no token → 401 challenge, a token without the
 * scope → 403 insufficient_scope, another org's object → 404.
 */
export function describeProtectedRoute(getInstance: () => TestInstance, route: ProtectedRoute): void {
  const scope = route.scopes.join(' ');
  const object = objectOf(route.path);
  // The path naming an object of `org` (for routes that name one).
  const pathFor = async (inst: TestInstance, org: Organisation) => fill(route.path, object ? (await object.create(inst, org)).id : '');
  describe(`${route.method.toUpperCase()} ${route.path} (protected)`, () => {
    it('answers 401 with a Bearer challenge when no token is sent', async () => {
      const inst = getInstance();
      const res = await request(inst.app)
        [route.method](await pathFor(inst, await createOrg(inst.deps)))
        .send(route.body);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'invalid_token', error_description: 'an access token is required' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="scope-auth"');
    });

    it('answers 401 invalid_token for a forged token', async () => {
      const inst = getInstance();
      const res = await request(inst.app)
        [route.method](fill(route.path, FORGED_ID))
        .set('Authorization', 'Bearer eyJhbGciOiJub25lIn0.e30.')
        .send(route.body);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="scope-auth", error="invalid_token"/);
    });

    // A route open to every token (GET /v1/me) has no scope to lack.
    if (route.scopes.length > 0)
      it(`answers 403 insufficient_scope without ${scope}`, async () => {
        const inst = getInstance();
        const others = MANAGEMENT_SCOPES.filter((s) => !route.scopes.includes(s));
        const { org, token } = await createAdmin(inst.deps, inst.app, others);
        const res = await request(inst.app)
          [route.method](await pathFor(inst, org))
          .set('Authorization', `Bearer ${token}`)
          .send(route.body);
        expect(res.status).toBe(403);
        expect(res.body.error).toBe('insufficient_scope');
        expect(res.headers['www-authenticate']).toContain(`error="insufficient_scope"`);
        expect(res.headers['www-authenticate']).toContain(`scope="${scope}"`);
      });

    if (object) {
      it("answers 404 for another organisation's object", async () => {
        const inst = getInstance();
        const { token } = await createAdmin(inst.deps, inst.app, [...MANAGEMENT_SCOPES]);
        const other = await object.create(inst, await createOrg(inst.deps));
        const res = await request(inst.app)
          [route.method](fill(route.path, other.id))
          .set('Authorization', `Bearer ${token}`)
          .send(route.body);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: 'not_found', error_description: object.notFound(other.id) });
        // And nothing happened to it.
        await object.expectUntouched(inst, other);
      });
    }
  });
}

/** The shared checks for every bearer route of the table: a new management route gets them by being in it. */
export function describeProtectedRoutes(getInstance: () => TestInstance): void {
  for (const route of protectedRoutes()) describeProtectedRoute(getInstance, route);
}
