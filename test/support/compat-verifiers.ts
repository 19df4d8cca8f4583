// Third-party JWT verifiers as resource services use them, each against a real JWKS URL. Each
// answers 'accepted' or the reason it refused; nothing here is our own verification code.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import express from 'express';
import type * as ExpressOAuth2JwtBearer from 'express-oauth2-jwt-bearer';
import type * as FastJwt from 'fast-jwt';
import type GetJwks from 'get-jwks';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { createVerifier as createScopeAuthVerifier } from '../../sdk/src/index.js';
import { runPython } from './python.js';

const require = createRequire(import.meta.url);

function runNode(script: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', script], { timeout: 20_000, cwd: process.cwd() }, (err, stdout, stderr) =>
      err ? reject(new Error(stderr)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}
type Target = { token: string; alg: string; kid: string; issuer: string; audience: string; baseUrl: string; jwks: string };
export type Outcome = 'accepted' | `refused: ${string}`;

/**
 * For the scripts above: an express app that, once the script has added its routes, answers one
 * request with the token, prints the answer and exits.
 */
const SERVE_ONE_REQUEST = `
      const app = require('express')();
      setImmediate(() => {
        const srv = app.listen(0, '127.0.0.1', async () => {
          const res = await fetch('http://127.0.0.1:' + srv.address().port + '/', { headers: { authorization: 'Bearer ' + t.token } });
          console.log(await res.text());
          srv.close();
        });
      });`;

const refused = (err: unknown): Outcome =>
  `refused: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`.slice(0, 160) as Outcome;
async function attempt(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    await fn();
    return 'accepted';
  } catch (err) {
    return refused(err);
  }
}

/** The Node verifiers, each configured as its documentation shows for a JWKS endpoint. */
export const NODE_VERIFIERS: Record<string, (t: Target) => Promise<Outcome>> = {
  'scope-auth SDK': (t) =>
    attempt(async () => {
      const v = createScopeAuthVerifier({
        issuer: t.issuer,
        audience: t.audience,
        jwksUrl: `${t.baseUrl}/.well-known/jwks.json`,
        revocation: false,
      });
      try {
        await v.verify(t.token);
      } finally {
        await v.close();
      }
    }),
  jose: (t) =>
    attempt(() =>
      jwtVerify(t.token, createRemoteJWKSet(new URL(`${t.baseUrl}/.well-known/jwks.json`)), { issuer: t.issuer, audience: t.audience }),
    ),
  // In a plain Node process, as an application runs it: jwks-rsa require()s the ESM-only jose,
  // which Node 20.19+ allows and jest's module system does not.
  'jsonwebtoken + jwks-rsa': async (t) => {
    const script = `
      const jwt = require('jsonwebtoken');
      const jwksRsa = require('jwks-rsa');
      const t = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
      jwksRsa({ jwksUri: t.baseUrl + '/.well-known/jwks.json' }).getSigningKey(t.kid)
        .then((key) => { jwt.verify(t.token, key.getPublicKey(), { algorithms: [t.alg], issuer: t.issuer, audience: t.audience }); console.log('accepted'); })
        .catch((e) => console.log(('refused: ' + e.name + ': ' + e.message).slice(0, 160)));`;
    return (await runNode(script, JSON.stringify(t))).trim() as Outcome;
  },
  // express-jwt and passport-jwt as their READMEs show them with jwks-rsa, in a plain Node process
  // for the same reason, each behind a real express app called over HTTP.
  'express-jwt': async (t) => {
    const script = `
      const { expressjwt } = require('express-jwt');
      const jwksRsa = require('jwks-rsa');
      const t = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
      const secret = jwksRsa.expressJwtSecret({ jwksUri: t.baseUrl + '/.well-known/jwks.json' });
      ${SERVE_ONE_REQUEST}
      app.get('/', expressjwt({ secret, algorithms: [t.alg], issuer: t.issuer, audience: t.audience }), (req, res) => res.send('accepted'));
      app.use((e, req, res, next) => res.status(401).send(('refused: ' + e.name + ': ' + e.message).slice(0, 160)));`;
    return (await runNode(script, JSON.stringify(t))).trim() as Outcome;
  },
  'passport-jwt': async (t) => {
    const script = `
      const passport = require('passport');
      const { Strategy, ExtractJwt } = require('passport-jwt');
      const jwksRsa = require('jwks-rsa');
      const t = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
      passport.use(new Strategy({
        secretOrKeyProvider: jwksRsa.passportJwtSecret({ jwksUri: t.baseUrl + '/.well-known/jwks.json' }),
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        algorithms: [t.alg], issuer: t.issuer, audience: t.audience,
      }, (payload, done) => done(null, payload)));
      ${SERVE_ONE_REQUEST}
      // A custom callback, so the refusal says why (passport alone answers a bare 401).
      app.get('/', (req, res, next) => passport.authenticate('jwt', { session: false }, (err, user, info) =>
        user ? res.send('accepted')
          : res.status(401).send(('refused: ' + String((err && err.message) || (info && (info.name + ': ' + info.message)) || info)).slice(0, 160)),
      )(req, res, next));`;
    return (await runNode(script, JSON.stringify(t))).trim() as Outcome;
  },
  'express-oauth2-jwt-bearer': async (t) => {
    const { auth } = require('express-oauth2-jwt-bearer') as typeof ExpressOAuth2JwtBearer;
    const app = express();
    app.use(auth({ issuer: t.issuer, jwksUri: `${t.baseUrl}/.well-known/jwks.json`, audience: t.audience, tokenSigningAlg: t.alg }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(401).send(`${err.name}: ${err.message}`);
    });
    const res = await request(app).get('/').set('Authorization', `Bearer ${t.token}`);
    return res.status === 200 ? 'accepted' : (`refused: ${res.text}`.slice(0, 160) as Outcome);
  },
  'fast-jwt + get-jwks': (t) =>
    attempt(async () => {
      const { createVerifier } = require('fast-jwt') as typeof FastJwt;
      const buildGetJwks = require('get-jwks') as typeof GetJwks;
      const getJwks = buildGetJwks({ providerDiscovery: false });
      const verify = createVerifier({
        key: async () => getJwks.getPublicKey({ domain: t.baseUrl, kid: t.kid, alg: t.alg }),
        algorithms: [t.alg as FastJwt.Algorithm],
        allowedIss: t.issuer,
        allowedAud: t.audience,
      });
      await verify(t.token);
    }),
};

const PYTHON = `
import json, sys
t = json.load(sys.stdin)
out = {}
def attempt(name, fn):
    try:
        fn()
        out[name] = "accepted"
    except Exception as e:
        out[name] = ("refused: %s: %s" % (type(e).__name__, e))[:160]

def pyjwt():
    import jwt
    key = jwt.PyJWK(next(k for k in json.loads(t["jwks"])["keys"] if k["kid"] == t["kid"]))
    jwt.decode(t["token"], key.key, algorithms=[t["alg"]], audience=t["audience"], issuer=t["issuer"])

def jwcrypto():
    from jwcrypto import jwk, jwt
    keys = jwk.JWKSet.from_json(t["jwks"])
    jwt.JWT(jwt=t["token"], key=keys, algs=[t["alg"]], check_claims={"iss": t["issuer"], "aud": t["audience"], "exp": None})

def authlib():
    from authlib.jose import JsonWebToken, JsonWebKey
    claims = JsonWebToken([t["alg"]]).decode(t["token"], JsonWebKey.import_key_set(json.loads(t["jwks"])),
        claims_options={"iss": {"essential": True, "value": t["issuer"]}, "aud": {"essential": True, "value": t["audience"]}})
    claims.validate()

def python_jose():
    from jose import jwt
    jwt.decode(t["token"], json.loads(t["jwks"]), algorithms=[t["alg"]], audience=t["audience"], issuer=t["issuer"])

attempt("PyJWT", pyjwt)
attempt("jwcrypto", jwcrypto)
attempt("authlib", authlib)
attempt("python-jose", python_jose)
print(json.dumps(out))
`;

/** Debian's Python verifiers (python3-jwt, python3-jwcrypto, python3-authlib, python3-jose), given the JWKS document. */
export async function pythonVerifiers(t: Target): Promise<Record<string, Outcome>> {
  return JSON.parse(await runPython(PYTHON, JSON.stringify(t))) as Record<string, Outcome>;
}
