import request from 'supertest';
import type { TestInstance } from './app.js';
import { createAdmin, createKey, createOrg } from './fixtures.js';

type Method = 'get' | 'post' | 'patch' | 'delete';

/**
 * The checks every management route shares: no token → 401 challenge, a token without the
 * scope → 403 insufficient_scope, another org's key → 404.
 */
export function describeProtectedRoute(
  getInstance: () => TestInstance,
  route: { method: Method; path: (keyId: string) => string; scope: string; body?: object },
): void {
  describe(`${route.method.toUpperCase()} ${route.path(':id')} (protected)`, () => {
    it('answers 401 with a Bearer challenge when no token is sent', async () => {
      const inst = getInstance();
      const org = await createOrg(inst.deps);
      const { key } = await createKey(inst.deps, org);
      const res = await request(inst.app)[route.method](route.path(key.id)).send(route.body);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'invalid_token', error_description: 'an access token is required' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="scope-auth"');
    });

    it('answers 401 invalid_token for a forged token', async () => {
      const inst = getInstance();
      const res = await request(inst.app)[route.method](route.path('key_01JAAAAAAAAAAAAAAAAAAAAAAA')).set('Authorization', 'Bearer eyJhbGciOiJub25lIn0.e30.').send(route.body);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="scope-auth", error="invalid_token"/);
    });

    it(`answers 403 insufficient_scope without ${route.scope}`, async () => {
      const inst = getInstance();
      const others = ['keys:read', 'keys:write', 'audit:read'].filter((s) => s !== route.scope);
      const { org, token } = await createAdmin(inst.deps, inst.app, others);
      const { key } = await createKey(inst.deps, org);
      const res = await request(inst.app)[route.method](route.path(key.id)).set('Authorization', `Bearer ${token}`).send(route.body);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('insufficient_scope');
      expect(res.headers['www-authenticate']).toContain(`error="insufficient_scope"`);
      expect(res.headers['www-authenticate']).toContain(`scope="${route.scope}"`);
    });

    if (route.path('X').includes('X')) {
      it("answers 404 for another organisation's key", async () => {
        const inst = getInstance();
        const { token } = await createAdmin(inst.deps, inst.app);
        const otherOrg = await createOrg(inst.deps);
        const { key } = await createKey(inst.deps, otherOrg);
        const res = await request(inst.app)[route.method](route.path(key.id)).set('Authorization', `Bearer ${token}`).send(route.body);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: 'not_found', error_description: `key ${key.id} not found` });
        // And nothing happened to it.
        const still = await inst.deps.db('api_keys').where({ id: key.id }).first();
        expect(still).toMatchObject({ revoked_at: null, replaced_by: null, name: key.name });
      });
    }
  });
}
