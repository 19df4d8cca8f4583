import { z } from 'zod';
import { listSigningKeyInfo, rotateSigningKeyAs, type SigningKeyInfo } from '../../domain/signing-key-admin.js';
import { callerOf } from '../caller.js';
import type { Route } from '../route.js';

const signingKeySchema = z
  .object({
    kid: z.string(),
    alg: z.string(),
    state: z.enum(['pending', 'active', 'retired']).describe('pending: published, signs from activates_at; retired: verifies only'),
    created_at: z.string(),
    activates_at: z.string(),
    retired_at: z.string().nullable(),
  })
  .meta({ id: 'SigningKey', description: 'a signing key: public data only' });

const view = (k: SigningKeyInfo) => ({
  kid: k.kid,
  alg: k.alg,
  state: k.state,
  created_at: k.createdAt.toISOString(),
  activates_at: k.activatesAt.toISOString(),
  retired_at: k.retiredAt?.toISOString() ?? null,
});

// Owners, signed in: DESIGN.md's management scopes hold none for signing keys, which sign every org's tokens.
const owners = { kind: 'session', permission: 'signing_keys:manage' } as const;

export const signingKeyRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/signing-keys',
    operationId: 'listSigningKeys',
    summary: "The service's signing keys, oldest first, as `signing-keys list` shows them (owners; never private material)",
    tags: ['signing-keys'],
    auth: owners,
    responses: { 200: { description: 'every signing key still stored', schema: z.object({ data: z.array(signingKeySchema) }) } },
    errors: ['unavailable'],
    handler:
      ({ deps }) =>
      async (_req, res) => {
        res.json({ data: (await listSigningKeyInfo(deps)).map(view) });
      },
  },
  {
    method: 'post',
    path: '/v1/signing-keys/rotate',
    operationId: 'rotateSigningKey',
    summary:
      'Publish the next signing key: it signs once every JWKS cache has it, and the current one verifies until its tokens expire (owners; audited)',
    tags: ['signing-keys'],
    auth: owners,
    responses: { 201: { description: 'the new key', schema: signingKeySchema } },
    errors: ['unavailable'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        res.status(201).json(view(await rotateSigningKeyAs(deps, callerOf(req, res))));
      },
  },
];
