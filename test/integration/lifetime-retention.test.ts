import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { createTestInstance, newPrefix } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';

const jwksKids = async (app: Parameters<typeof request>[0]) =>
  ((await request(app).get('/.well-known/jwks.json').expect(200)).body as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

// After TOKEN_TTL_SECONDS is lowered, tokens minted under the longer lifetime are still in circulation:
// whatever outlives tokens must follow the longest lifetime recorded, not the instance's own.
describe('the longest token lifetime in circulation', () => {
  it('keeps a retired signing key published as long as tokens of the longer lifetime may live', async () => {
    const databaseUrl = await isolatedDatabase('retention');
    const prefix = newPrefix();
    const clock = fakeClock();
    const long = await createTestInstance({ clock, databaseUrl, prefix, env: { TOKEN_TTL_SECONDS: '3600' } });
    await long.close();
    const short = await createTestInstance({ clock, databaseUrl, prefix, env: { TOKEN_TTL_SECONDS: '300' } });
    try {
      const [oldKid] = await jwksKids(short.app);
      await short.deps.keyring.rotate({ immediate: true });
      // Past the short lifetime (300 s + skew) but well within the long one.
      clock.advance(600_000);
      await short.deps.keyring.refresh();
      expect(await jwksKids(short.app)).toContain(oldKid);
      expect(await short.deps.keyring.prune()).toBe(0);
    } finally {
      await short.close();
    }
  });

  it('lets maintenance delete revocation rows whose every token has expired', async () => {
    const inst = await createTestInstance({ databaseUrl: await isolatedDatabase('prune_rows') });
    try {
      await inst.deps
        .db('revocations')
        .insert({ kind: 'token', org_id: 'org_x', key_id: 'key_x', jti: 'gone', revoked_at: new Date(0), expires_at: new Date(1_000) });
      await inst.deps.sync.maintain();
      expect(await inst.deps.db('revocations').where({ jti: 'gone' })).toEqual([]);
    } finally {
      await inst.close();
    }
  });
});
