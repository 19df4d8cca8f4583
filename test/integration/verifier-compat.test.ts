// Which verifiers, in which languages, accept our tokens with each SIGNING_ALG (issue 22, point 9):
// the README's compatibility table is this test's output. Real tokens from a real instance per
// algorithm; the verifiers fetch its JWKS over HTTP (the Python ones get the document).
import { decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { createTestInstance, listen } from '../support/app.js';
import { NODE_VERIFIERS, pythonVerifiers, type Outcome } from '../support/compat-verifiers.js';
import { isolatedDatabase } from '../support/databases.js';
import { TEST_ISSUER } from '../support/env.js';
import { createKey, createOrg, exchange } from '../support/fixtures.js';

const ALGS = ['ES256', 'EdDSA', 'RS256'] as const;
const VERIFIERS = [...Object.keys(NODE_VERIFIERS), 'PyJWT', 'jwcrypto', 'authlib', 'python-jose'];
// As measured (and as their documentation says): jsonwebtoken has no EdDSA (nor have express-jwt and
// passport-jwt, which verify with it), python-jose 3.3 has no Ed25519 keys, and get-jwks cannot turn
// an OKP (Ed25519) key into the PEM that fast-jwt needs.
const EXPECTED: Record<string, Record<(typeof ALGS)[number], boolean>> = {
  'scope-auth SDK': { ES256: true, EdDSA: true, RS256: true },
  jose: { ES256: true, EdDSA: true, RS256: true },
  'jsonwebtoken + jwks-rsa': { ES256: true, EdDSA: false, RS256: true },
  'express-jwt': { ES256: true, EdDSA: false, RS256: true },
  'passport-jwt': { ES256: true, EdDSA: false, RS256: true },
  'express-oauth2-jwt-bearer': { ES256: true, EdDSA: true, RS256: true },
  'fast-jwt + get-jwks': { ES256: true, EdDSA: false, RS256: true },
  PyJWT: { ES256: true, EdDSA: true, RS256: true },
  jwcrypto: { ES256: true, EdDSA: true, RS256: true },
  authlib: { ES256: true, EdDSA: true, RS256: true },
  'python-jose': { ES256: true, EdDSA: false, RS256: true },
};

const results: Record<string, Record<string, Outcome>> = {};

describe.each(ALGS)('tokens signed with %s', (alg) => {
  it('are checked by every verifier of the matrix', async () => {
    const inst = await createTestInstance({
      env: { SIGNING_ALG: alg },
      databaseUrl: await isolatedDatabase(`compat_${alg.toLowerCase()}`),
    });
    const srv = await listen(inst.app);
    try {
      const org = await createOrg(inst.deps);
      const { key, secret } = await createKey(inst.deps, org);
      const token = await exchange(inst.app, { org_id: org.id, key_id: key.id, secret });
      const jwks = (await request(inst.app).get('/.well-known/jwks.json').expect(200)).text;
      const target = {
        token,
        alg,
        kid: decodeProtectedHeader(token).kid!,
        issuer: TEST_ISSUER,
        audience: TEST_ISSUER,
        baseUrl: srv.url,
        jwks,
      };
      const row: Record<string, Outcome> = {};
      for (const [name, verify] of Object.entries(NODE_VERIFIERS)) row[name] = await verify(target);
      Object.assign(row, await pythonVerifiers(target));
      for (const v of VERIFIERS) (results[v] ??= {})[alg] = row[v]!;
      expect(Object.fromEntries(VERIFIERS.map((v) => [v, row[v] === 'accepted']))).toEqual(
        Object.fromEntries(VERIFIERS.map((v) => [v, EXPECTED[v]![alg]])),
      );
      // The control: each of them refuses the same token with a widened scope forged into its claims.
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const forgedPayload = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), scope: 'keys:write' }),
      ).toString('base64url');
      const forged = { ...target, token: `${header}.${forgedPayload}.${signature}` };
      const forgedRow: Record<string, Outcome> = {};
      for (const [name, verify] of Object.entries(NODE_VERIFIERS)) forgedRow[name] = await verify(forged);
      Object.assign(forgedRow, await pythonVerifiers(forged));
      expect(VERIFIERS.filter((v) => forgedRow[v] === 'accepted')).toEqual([]);
    } finally {
      await srv.close();
      await inst.close();
    }
  }, 60_000);
});

afterAll(() => {
  // The README's table, for a human to copy when a verifier or an algorithm changes.
  const lines = [`| verifier | ${ALGS.join(' | ')} |`, `|---|${ALGS.map(() => '---').join('|')}|`];
  for (const v of VERIFIERS)
    lines.push(
      `| ${v} | ${ALGS.map((a) => (results[v]?.[a] === undefined ? '?' : results[v][a] === 'accepted' ? 'yes' : 'no')).join(' | ')} |`,
    );
  process.stdout.write(`${lines.join('\n')}\n${JSON.stringify(results, null, 1)}\n`);
});
