import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { issueSetupUrl } from '../../src/domain/people/setup.js';
import { createTestInstance, LogCapture, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';

// A store with no user: its own database.
let inst: TestInstance;
const logs = new LogCapture();
const clock = fakeClock();
beforeAll(async () => {
  inst = await createTestInstance({ databaseUrl: await isolatedDatabase('setup'), logs, clock });
});
afterAll(async () => {
  await inst.close();
});

const tokenOf = (url: string) => new URL(url).hash.replace(/^#token=/, '');
const body = (token: string) => ({
  token,
  email: 'first@example.test',
  name: 'First Owner',
  password: 'the very first password',
  org_name: 'Founders',
});

describe('first owner', () => {
  it('refuses a wrong or expired setup token, then makes the first owner and org once, and never again', async () => {
    const first = await issueSetupUrl(inst.deps);
    expect(first?.url).toMatch(/^https:\/\/auth\.scope-auth\.test\/console\/setup#token=[A-Za-z0-9_-]{43}$/);
    expect(first?.expiresAt.getTime()).toBe(clock.now() + 24 * 3_600_000);

    const wrong = await request(inst.app)
      .post('/v1/setup')
      .send(body('A'.repeat(43)))
      .expect(403);
    expect(wrong.body).toEqual({ error: 'forbidden', error_description: 'setup token is invalid, used or expired' });

    clock.advance(24 * 3_600_000 + 1);
    await request(inst.app)
      .post('/v1/setup')
      .send(body(tokenOf(first!.url)))
      .expect(403);

    const second = await issueSetupUrl(inst.deps);
    const res = await request(inst.app)
      .post('/v1/setup')
      .send(body(tokenOf(second!.url)))
      .expect(200);
    expect(res.body).toMatchObject({
      user: { email: 'first@example.test', name: 'First Owner' },
      org: { name: 'Founders' },
      role: 'owner',
      csrf_token: expect.any(String),
    });
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
    expect((await request(inst.app).get('/v1/me').set('Cookie', cookie).expect(200)).body.role).toBe('owner');

    // Done: no more setup URLs, and the token cannot make a second owner.
    expect(await issueSetupUrl(inst.deps)).toBeUndefined();
    const again = await request(inst.app)
      .post('/v1/setup')
      .send({ ...body(tokenOf(second!.url)), email: 'second@example.test' })
      .expect(409);
    expect(again.body).toEqual({ error: 'conflict', error_description: 'setup is already done: sign in instead' });
    expect(logs.text()).not.toContain(tokenOf(second!.url));
    expect(logs.text()).not.toContain('the very first password');
  });
});
