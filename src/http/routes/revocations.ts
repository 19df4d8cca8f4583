import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { liveEntries } from '../../domain/revocation/memory.js';
import { toWire } from '../../domain/revocation/wire.js';
import type { RouteDoc } from '../openapi.js';
import { parse } from '../parse.js';
import { createRevocationStreams, type StreamOptions } from '../revocation-stream.js';

const MAX_PAGE = 10_000;
const feedQuery = z.object({
  after: z.coerce.number().int().min(0).optional().describe('only entries with a greater seq'),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(1_000).describe('entries per page (at most 10,000)'),
});
const streamQuery = z.object({ last_event_id: z.coerce.number().int().min(0).optional().describe('same as the Last-Event-ID header') });

const wireEntry = z.object({
  seq: z.number().int(),
  type: z.enum(['key', 'token']),
  key_id: z.string(),
  jti: z.string().optional(),
  revoked_at: z.number().int().describe("unix seconds: when it was revoked (a key's entry refuses every token of the key, whenever issued)"),
  expires_at: z.number().int().describe('unix seconds; the entry can be dropped after this'),
});

export type { StreamOptions };

export function revocationRoutes(deps: Deps, stream: StreamOptions): Router {
  const router = Router();
  const streams = createRevocationStreams(
    { page: (after, limit) => liveEntries(deps, after, limit), subscribe: (listener) => deps.revocations.subscribe(listener) },
    stream,
  );

  // Public like a CRL: IDs and times only. Paged, so no caller can make it build megabytes.
  router.get('/v1/revocations', async (req, res) => {
    const { after = 0, limit } = parse(feedQuery, req.query);
    const entries = await liveEntries(deps, after, limit + 1);
    const page = entries.slice(0, limit);
    res.setHeader('Cache-Control', 'no-cache');
    res.json({ revocations: page.map(toWire), last_seq: page.at(-1)?.seq ?? after, has_more: entries.length > limit });
  });

  router.get('/v1/revocations/stream', async (req, res) => {
    const q = parse(streamQuery, req.query);
    const header = req.get('last-event-id');
    if (header !== undefined && !/^\d{1,15}$/.test(header)) throw new AppError('invalid_request', 'Last-Event-ID must be a sequence number');
    await streams.serve(req, res, header !== undefined ? Number(header) : (q.last_event_id ?? 0));
  });
  return router;
}

export const revocationDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/revocations',
    summary: 'The current revocation list (public, IDs and times only), in pages: follow `after=last_seq` while `has_more`',
    tags: ['revocation'],
    query: feedQuery,
    responses: {
      200: {
        description: 'one page of the list',
        schema: z.object({ revocations: z.array(wireEntry), last_seq: z.number().int(), has_more: z.boolean() }),
      },
    },
    errors: ['invalid_request'],
  },
  {
    method: 'get',
    path: '/v1/revocations/stream',
    summary:
      'Server-Sent Events: the backlog (or entries after Last-Event-ID), then each new entry; ": ping" heartbeats; ends after SSE_MAX_STREAM_SECONDS (reconnect with Last-Event-ID)',
    tags: ['revocation'],
    query: streamQuery,
    responses: { 200: { description: 'event stream of `revocation` events whose data is one entry', contentType: 'text/event-stream', schema: wireEntry } },
    errors: ['invalid_request', 'rate_limited', 'unavailable'],
  },
];
