import request from 'supertest';
import type { Express } from 'express';
import { createApiKey } from '../../src/domain/api-keys.js';
import { newId } from '../../src/ids.js';
import type { Deps } from '../../src/deps.js';
import type { ApiKey, Environment } from '../../src/domain/model.js';
import { insertOrg } from '../../src/storage/organisations.js';
import type { Organisation } from '../../src/domain/model.js';

export async function createOrg(deps: Pick<Deps, 'db' | 'clock'>, name = 'test org'): Promise<Organisation> {
  const org = { id: newId('org'), name, createdAt: new Date(deps.clock.now()) };
  await insertOrg(deps.db, org);
  return org;
}

export type KeyOptions = {
  scopes?: string[];
  audiences?: string[];
  environment?: Environment;
  expiresAt?: Date | null;
  allowedCidrs?: string[];
  name?: string;
};

export async function createKey(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  org: Organisation,
  o: KeyOptions = {},
): Promise<{ key: ApiKey; secret: string }> {
  return createApiKey(deps, deps.db, {
    orgId: org.id,
    name: o.name ?? 'test key',
    environment: o.environment ?? 'live',
    scopes: o.scopes ?? ['read', 'write'],
    audiences: o.audiences ?? [],
    allowedCidrs: o.allowedCidrs,
    expiresAt: o.expiresAt ?? null,
    createdBy: 'test',
  });
}

export const ADMIN_SCOPES = ['keys:read', 'keys:write', 'audit:read'];

/** An org with an admin key, and a management token for it. */
export async function createAdmin(deps: Deps, app: Express, scopes = ADMIN_SCOPES) {
  const org = await createOrg(deps);
  const { key, secret } = await createKey(deps, org, { scopes });
  const token = await exchange(app, { org_id: org.id, key_id: key.id, secret });
  return { org, key, secret, token };
}

export async function exchange(app: Express, body: Record<string, string>): Promise<string> {
  const res = await request(app).post('/v1/token').send(body);
  if (res.status !== 200) throw new Error(`exchange failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

/** RFC 6750 header for supertest's `.set()`. */
export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
