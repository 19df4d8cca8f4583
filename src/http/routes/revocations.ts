import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { listLiveRevocations, type RevocationEntry } from '../../storage/revocations.js';
import { toWire } from '../../storage/revocation-list.js';
import type { RouteDoc } from '../openapi.js';
import { parse } from '../parse.js';

const afterQuery = z.object({ after: z.coerce.number().int().min(0).optional().describe('only entries with a greater seq') });
const streamQuery = z.object({ last_event_id: z.coerce.number().int().min(0).optional().describe('same as the Last-Event-ID header') });

const wireEntry = z.object({
  seq: z.number().int(),
  type: z.enum(['key', 'token']),
  key_id: z.string(),
  jti: z.string().optional(),
  revoked_at: z.number().int().describe('unix seconds: when it was revoked (a key\'s entry refuses every token of the key, whenever issued)'),
  expires_at: z.number().int().describe('unix seconds; the entry can be dropped after this'),
});

export type StreamOptions = { heartbeatMs: number; maxStreams: number; shutdown: AbortSignal };

/** The live list: from memory while pub/sub keeps it current, else from Postgres. */
async function currentEntries(deps: Deps, after: number): Promise<RevocationEntry[]> {
  if (deps.bus.isLive()) {
    // A flushed Redis list is rebuilt before anyone is told what it holds.
    await deps.sync.ensureReady().catch(() => undefined);
    return deps.revocations.entries(after);
  }
  return listLiveRevocations(deps.db, new Date(deps.clock.now()), after);
}

function writeEvent(res: Response, e: RevocationEntry): void {
  res.write(`id: ${e.seq}\nevent: revocation\ndata: ${JSON.stringify(toWire(e))}\n\n`);
}

export function revocationRoutes(deps: Deps, stream: StreamOptions): Router {
  const router = Router();
  let open = 0;

  // Public like a CRL: IDs and times only.
  router.get('/v1/revocations', async (req, res) => {
    const { after = 0 } = parse(afterQuery, req.query);
    const entries = await currentEntries(deps, after);
    const lastSeq = entries.reduce((m, e) => Math.max(m, e.seq), after);
    res.setHeader('Cache-Control', 'no-cache');
    res.json({ revocations: entries.map(toWire), last_seq: lastSeq });
  });

  router.get('/v1/revocations/stream', async (req, res) => {
    const q = parse(streamQuery, req.query);
    const header = req.get('last-event-id');
    if (header !== undefined && !/^\d{1,15}$/.test(header)) throw new AppError('invalid_request', 'Last-Event-ID must be a sequence number');
    if (stream.shutdown.aborted) throw new AppError('unavailable', 'this instance is shutting down; reconnect');
    if (open >= stream.maxStreams) throw new AppError('unavailable', 'too many open revocation streams on this instance; retry or poll /v1/revocations');
    const after = header !== undefined ? Number(header) : (q.last_event_id ?? 0);

    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    open++;
    const sent = new Set<number>();
    const send = (e: RevocationEntry) => {
      if (e.seq <= after || sent.has(e.seq) || res.writableEnded) return;
      sent.add(e.seq);
      writeEvent(res, e);
    };
    // Subscribe before reading the backlog so nothing falls between the two, and wire the cleanup
    // before any await, so a client that leaves early cannot leak the subscription.
    const unsubscribe = deps.revocations.subscribe(send);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), stream.heartbeatMs);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      open--;
      clearInterval(heartbeat);
      unsubscribe();
      stream.shutdown.removeEventListener('abort', end);
      if (!res.writableEnded) res.end();
    };
    stream.shutdown.addEventListener('abort', end);
    res.on('close', end);
    res.write(`retry: 1000\n: connected\n\n`);
    for (const e of await currentEntries(deps, after)) send(e);
  });
  return router;
}

export const revocationDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/revocations',
    summary: 'The current revocation list (public, IDs and times only)',
    tags: ['revocation'],
    query: afterQuery,
    responses: { 200: { description: 'the list', schema: z.object({ revocations: z.array(wireEntry), last_seq: z.number().int() }) } },
  },
  {
    method: 'get',
    path: '/v1/revocations/stream',
    summary: 'Server-Sent Events: the backlog (or entries after Last-Event-ID), then each new entry; ": ping" heartbeats',
    tags: ['revocation'],
    query: streamQuery,
    responses: { 200: { description: 'event stream of `revocation` events whose data is one entry', contentType: 'text/event-stream', schema: wireEntry } },
    errors: ['unavailable'],
  },
];
