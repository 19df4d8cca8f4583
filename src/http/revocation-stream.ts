import { once } from 'node:events';
import type { Request, Response } from 'express';
import { AppError } from '../errors.js';
import type { RevocationEntry } from '../domain/revocation/entry.js';
import { toWire } from '../domain/revocation/wire.js';
import { clientIp } from './client-ip.js';

export type StreamOptions = {
  heartbeatMs: number;
  maxStreams: number;
  maxPerClient: number;
  maxAgeMs: number;
  shutdown: AbortSignal;
};

export type StreamSource = {
  /** Live entries after `after`, in seq order, at most `limit`. */
  page(after: number, limit: number): Promise<RevocationEntry[]>;
  /** Calls `listener` for each new entry; returns the unsubscribe function. */
  subscribe(listener: (entry: RevocationEntry) => void): () => void;
};

// The backlog is read and written a page at a time, waiting for the client to take each one: a
// client that reads nothing costs one page of memory, not the whole list.
const BACKLOG_PAGE = 500;
// New entries are written as they come; a client that lets this much pile up is too slow and is
// dropped (it reconnects and resumes with Last-Event-ID). With SSE_MAX_STREAMS streams, that bounds
// what streams can hold (32 MB at 1,000); new streams are refused past the total below.
const STREAM_BUFFER_MAX_BYTES = 32 * 1024;
const TOTAL_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

const event = (e: RevocationEntry) => `id: ${e.seq}\nevent: revocation\ndata: ${JSON.stringify(toWire(e))}\n\n`;

/** Server-Sent Events of revocation entries, with caps per instance, per client address and in memory. */
export function createRevocationStreams(source: StreamSource, o: StreamOptions) {
  const open = new Set<Response>();
  const perClient = new Map<string, number>();
  const bufferedBytes = () => {
    let total = 0;
    for (const res of open) total += res.writableLength; // the response's own buffer and its socket's
    return total;
  };

  function admit(client: string): void {
    if (o.shutdown.aborted) throw new AppError('unavailable', 'this instance is shutting down; reconnect');
    if (open.size >= o.maxStreams || bufferedBytes() > TOTAL_BUFFER_MAX_BYTES) {
      throw new AppError('unavailable', 'too many open revocation streams on this instance; retry or poll /v1/revocations');
    }
    if ((perClient.get(client) ?? 0) >= o.maxPerClient) {
      throw new AppError('rate_limited', 'too many open revocation streams from this address', undefined, { retryAfterSeconds: 10 });
    }
  }

  async function serve(req: Request, res: Response, after: number): Promise<void> {
    const client = clientIp(req) ?? 'unknown';
    admit(client);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    open.add(res);
    perClient.set(client, (perClient.get(client) ?? 0) + 1);

    // Entries after `sent` have not been written. While the backlog is being written, new entries
    // that are already past it are written at once and remembered, so the backlog skips them.
    let sent = after;
    let backlogDone = false;
    const early = new Set<number>();
    const push = (e: RevocationEntry) => {
      if (ended || e.seq <= sent || early.has(e.seq)) return;
      if (res.writableLength > STREAM_BUFFER_MAX_BYTES) {
        end();
        return;
      }
      if (backlogDone) sent = e.seq;
      else early.add(e.seq);
      res.write(event(e));
    };
    // Subscribe before reading the backlog so nothing falls between the two, and wire the cleanup
    // before any await, so a client that leaves early cannot leak the subscription.
    const unsubscribe = source.subscribe(push);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), o.heartbeatMs);
    const maxAge = setTimeout(() => end(), o.maxAgeMs);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      open.delete(res);
      const n = (perClient.get(client) ?? 1) - 1;
      if (n > 0) perClient.set(client, n);
      else perClient.delete(client);
      clearInterval(heartbeat);
      clearTimeout(maxAge);
      unsubscribe();
      o.shutdown.removeEventListener('abort', end);
      if (!res.writableEnded) res.end();
      res.emit('drain'); // releases a backlog writer waiting for the client
    };
    o.shutdown.addEventListener('abort', end);
    res.on('close', end);
    res.write(`retry: 1000\n: connected\n\n`);

    // `end` may run while a page is read or written: ask, do not trust the last look.
    const isEnded = () => ended;
    while (!isEnded()) {
      const page = await source.page(sent, BACKLOG_PAGE);
      for (const e of page) if (!early.has(e.seq) && !isEnded() && !res.write(event(e))) await once(res, 'drain');
      if (page.length > 0) sent = Math.max(sent, page.at(-1)!.seq);
      if (page.length < BACKLOG_PAGE) break;
    }
    for (const seq of early) sent = Math.max(sent, seq);
    early.clear();
    backlogDone = true;
  }

  return { serve, stats: () => ({ open: open.size, bufferedBytes: bufferedBytes() }) };
}
