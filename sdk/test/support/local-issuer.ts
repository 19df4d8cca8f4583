import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { WireEntry } from '../../../src/domain/revocation/wire.js';
import { sendJson, startStub } from './helpers.js';

export const LOCAL_ISSUER = 'https://issuer.local.test';

// The service's own wire format: the stand-in serves exactly what the service serves.
export type { WireEntry } from '../../../src/domain/revocation/wire.js';

/**
 * A stand-in auth service for contract tests of the revocation sources: it signs tokens,
 * publishes its JWKS, and serves the revocation feed and SSE stream exactly as the contract says,
 * with switches to break them.
 */
export async function startLocalIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'local-1', alg: 'EdDSA', use: 'sig' };
  const entries: WireEntry[] = [];
  const streams = new Set<ServerResponse>();
  const state = {
    feedStatus: 200,
    streamStatus: 200,
    /** Last-Event-ID of each stream connection, in order ('' when absent). */
    streamConnects: [] as string[],
    feedQueries: [] as string[],
    /** Page size when the request names no `limit` (the service's default is 1000). */
    pageSize: 1_000,
    /** Feed requests with `after` ≥ this get a 503 (a failure in the middle of a paged load). */
    failFeedAfterSeq: Infinity,
    /** Answer like an older service: the whole rest of the list, no `has_more`. */
    legacyFeed: false,
  };

  const writeEvent = (res: ServerResponse, e: WireEntry) => res.write(`id: ${e.seq}\nevent: revocation\ndata: ${JSON.stringify(e)}\n\n`);

  const stub = await startStub((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/.well-known/jwks.json') return sendJson(res, 200, { keys: [jwk] });
    if (url.pathname === '/v1/revocations') {
      state.feedQueries.push(url.search);
      if (state.feedStatus !== 200) return sendJson(res, state.feedStatus, { error: 'unavailable', error_description: 'down' });
      const after = Number(url.searchParams.get('after') ?? 0);
      if (after >= state.failFeedAfterSeq) return sendJson(res, 503, { error: 'unavailable', error_description: 'down' });
      const rest = entries.filter((e) => e.seq > after);
      if (state.legacyFeed) return sendJson(res, 200, { revocations: rest, last_seq: entries.at(-1)?.seq ?? 0 });
      const page = rest.slice(0, Number(url.searchParams.get('limit') ?? state.pageSize));
      return sendJson(res, 200, { revocations: page, last_seq: page.at(-1)?.seq ?? after, has_more: rest.length > page.length });
    }
    if (url.pathname === '/v1/revocations/stream') {
      const last = req.headers['last-event-id'];
      state.streamConnects.push(typeof last === 'string' ? last : '');
      if (state.streamStatus !== 200) return sendJson(res, state.streamStatus, { error: 'unavailable', error_description: 'down' });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('retry: 50\n: hello\n\n');
      for (const e of entries) if (e.seq > Number(last ?? 0)) writeEvent(res, e);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    sendJson(res, 404, { error: 'not_found', error_description: 'no route' });
  });

  const now = () => Math.floor(Date.now() / 1000);
  return {
    url: stub.url,
    state,
    entries,
    openStreams: () => streams.size,
    async sign(claims: { sub: string; iat?: number; jti?: string; scope?: string }): Promise<string> {
      const iat = claims.iat ?? now();
      return new SignJWT({
        client_id: claims.sub,
        org_id: 'org_local',
        scope: claims.scope ?? 'read',
        env: 'live',
        jti: claims.jti ?? randomUUID(),
      })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'local-1', typ: 'at+jwt' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_ISSUER)
        .setSubject(claims.sub)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 900)
        .sign(privateKey);
    },
    /** Records an entry and, unless `silently`, pushes it to every open stream. */
    revoke(e: Omit<WireEntry, 'seq' | 'expires_at' | 'revoked_at'> & { revoked_at?: number }, silently = false): WireEntry {
      const entry: WireEntry = { revoked_at: now(), expires_at: now() + 900, ...e, seq: (entries.at(-1)?.seq ?? 0) + 1 };
      entries.push(entry);
      if (!silently) for (const s of streams) writeEvent(s, entry);
      return entry;
    },
    /** Sends the `: ping` heartbeat the service sends every 15 s on every open stream. */
    ping(): void {
      for (const s of streams) s.write(': ping\n\n');
    },
    /** Cuts every open stream, as a proxy or a server restart would. */
    dropStreams(): void {
      for (const s of streams) s.destroy();
      streams.clear();
    },
    close: () => stub.close(),
  };
}

export type LocalIssuer = Awaited<ReturnType<typeof startLocalIssuer>>;
