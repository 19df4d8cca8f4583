// The few service calls the scenarios make outside the load generator.

/** `POST /v1/token` with JSON credentials; `{ status, token }`. */
export async function exchange(baseUrl, key) {
  const res = await fetch(`${baseUrl}/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org_id: key.orgId, key_id: key.keyId, secret: key.secret }),
  });
  const body = await res.json();
  return { status: res.status, token: body.access_token };
}

/** An access token for `key`, or an error naming what went wrong. */
export async function tokenFor(baseUrl, key) {
  const { status, token } = await exchange(baseUrl, key);
  if (status !== 200) throw new Error(`exchange of ${key.keyId} on ${baseUrl} answered ${status}`);
  return token;
}

/** `POST /v1/keys/{id}/revoke` as the holder of `adminToken`. */
export async function revokeKey(baseUrl, adminToken, keyId) {
  const res = await fetch(`${baseUrl}/v1/keys/${keyId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'bench' }),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`revoke of ${keyId} answered ${res.status}`);
}

/** `GET /v1/keys` page; `{ status, ids, next }`. */
export async function listPage(baseUrl, adminToken, cursor, limit = 100) {
  const query = `limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
  const res = await fetch(`${baseUrl}/v1/keys?${query}`, { headers: { authorization: `Bearer ${adminToken}` } });
  const body = await res.json();
  return { status: res.status, count: body.data?.length ?? 0, next: body.next_cursor ?? null };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
