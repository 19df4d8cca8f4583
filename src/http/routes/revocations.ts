import { z } from 'zod';
import { AppError } from '../../errors.js';
import { liveEntries } from '../../domain/revocation/memory.js';
import { toWire } from '../../domain/revocation/wire.js';
import { parse } from '../parse.js';
import { createRevocationStreams } from '../revocation-stream.js';
import type { Route } from '../route.js';

const MAX_PAGE = 10_000;
const feedQuery = z.object({
  after: z.coerce.number().int().min(0).optional().describe('only entries with a greater seq'),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(1_000).describe('entries per page (at most 10,000)'),
});
const streamQuery = z.object({ last_event_id: z.coerce.number().int().min(0).optional().describe('same as the Last-Event-ID header') });

const wireEntry = z
  .object({
    seq: z.number().int(),
    type: z.enum(['key', 'token']),
    key_id: z.string(),
    jti: z.string().optional(),
    revoked_at: z
      .number()
      .int()
      .describe("unix seconds: when it was revoked (a key's entry refuses every token of the key, whenever issued)"),
    expires_at: z.number().int().describe('unix seconds; the entry can be dropped after this'),
  })
  .meta({ id: 'RevocationEntry' });

export const revocationListRoute: Route = {
  method: 'get',
  path: '/v1/revocations',
  operationId: 'listRevocations',
  summary: 'The current revocation list (public, IDs and times only), in pages: follow `after=last_seq` while `has_more`',
  tags: ['revocation'],
  auth: { kind: 'public' },
  cors: true,
  request: { query: feedQuery },
  responses: {
    200: {
      description: 'one page of the list',
      schema: z
        .object({ revocations: z.array(wireEntry), last_seq: z.number().int(), has_more: z.boolean() })
        .meta({ id: 'RevocationPage' }),
    },
  },
  errors: ['invalid_request'],
  // Public like a CRL: IDs and times only. Paged, so no caller can make it build megabytes.
  handler:
    ({ deps }) =>
    async (req, res) => {
      const { after = 0, limit } = parse(feedQuery, req.query);
      const entries = await liveEntries(deps, after, limit + 1);
      const page = entries.slice(0, limit);
      res.setHeader('Cache-Control', 'no-cache');
      res.json({ revocations: page.map(toWire), last_seq: page.at(-1)?.seq ?? after, has_more: entries.length > limit });
    },
};

const streamRevocationsRoute: Route = {
  method: 'get',
  path: '/v1/revocations/stream',
  operationId: 'streamRevocations',
  summary:
    'Server-Sent Events: the backlog (or entries after Last-Event-ID), then each new entry; ": ping" heartbeats; ends after SSE_MAX_STREAM_SECONDS (reconnect with Last-Event-ID)',
  tags: ['revocation'],
  auth: { kind: 'public' },
  cors: true,
  request: { query: streamQuery },
  responses: {
    200: {
      description: 'event stream of `revocation` events whose data is one entry',
      contentType: 'text/event-stream',
      schema: wireEntry,
    },
  },
  errors: ['invalid_request', 'rate_limited', 'unavailable'],
  handler: ({ deps, shutdownSignal }) => {
    const streams = createRevocationStreams(
      { page: (after, limit) => liveEntries(deps, after, limit), subscribe: (listener) => deps.revocations.subscribe(listener) },
      {
        heartbeatMs: deps.config.sseHeartbeatSeconds * 1000,
        maxStreams: deps.config.sseMaxStreams,
        maxPerClient: deps.config.sseMaxStreamsPerClient,
        maxAgeMs: deps.config.sseMaxStreamSeconds * 1000,
        shutdown: shutdownSignal,
      },
    );
    return async (req, res) => {
      const q = parse(streamQuery, req.query);
      const header = req.get('last-event-id');
      if (header !== undefined && !/^\d{1,15}$/.test(header))
        throw new AppError('invalid_request', 'Last-Event-ID must be a sequence number');
      await streams.serve(req, res, header !== undefined ? Number(header) : (q.last_event_id ?? 0));
    };
  },
};

export const revocationRoutes: Route[] = [revocationListRoute, streamRevocationsRoute];
