import { describeCause } from '../network-errors.js';
import { connectEventStream } from '../sse.js';
import { isRecord } from '../json.js';
import type { FetchLike } from '../token-exchange.js';
import { endpoint } from '../url.js';
import { parseEntry, parseEntryJson } from './entry.js';
import type { RevocationList } from './list.js';
import type { Clock } from '../clock.js';
import { createConfirmation, createLatch, type RevocationSource, type SourceOptions } from './source.js';

export type HttpRevocationOptions = SourceOptions & {
  /** Base URL of the auth service; the feed is `{authUrl}/v1/revocations`, the stream `…/stream`. */
  authUrl: string;
  /** How often the feed is polled while the stream is down. Default 1000. */
  pollIntervalMs?: number;
  /** Longest wait between two stream reconnection attempts. Default 30000. */
  maxReconnectDelayMs?: number;
  /** fetch implementation for the feed and the stream. Default: `globalThis.fetch`. */
  fetch?: FetchLike;
};

const DEFAULT_POLL_MS = 1_000;
const DEFAULT_MAX_RECONNECT_MS = 30_000;
const FIRST_RECONNECT_MS = 1_000;
// The server sends `: ping` every 15 s; three missed heartbeats mean the connection is dead.
const STREAM_IDLE_MS = 45_000;
const FEED_TIMEOUT_MS = 10_000;
const FULL_RESYNC_MS = 60_000;

type FeedPage = { revocations: unknown[]; lastSeq: number | undefined; hasMore: boolean };

/** One page of `GET /v1/revocations`: `{"revocations":[…],"last_seq","has_more"}`; no `has_more` (older services) is the last page. */
function readPage(body: unknown): FeedPage {
  if (!isRecord(body) || !Array.isArray(body.revocations)) throw new Error('revocation feed sent a malformed body');
  const lastSeq = typeof body.last_seq === 'number' && Number.isSafeInteger(body.last_seq) ? body.last_seq : undefined;
  return { revocations: body.revocations, lastSeq, hasMore: body.has_more === true };
}

/**
 * Keeps `list` current from the service: one load of `GET /v1/revocations` (every page, following
 * `after=last_seq` while `has_more`), then the SSE stream (resuming with `Last-Event-ID`), polling
 * the feed with `?after=` whenever the stream is down.
 */
export function createHttpSource(o: HttpRevocationOptions, list: RevocationList, clock: Clock): RevocationSource {
  const fetchImpl: FetchLike = o.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const feedUrl = endpoint(o.authUrl, '/v1/revocations');
  const pollMs = o.pollIntervalMs ?? DEFAULT_POLL_MS;
  const latch = createLatch();
  // The list is known current as of: the start of a complete feed load, or a stream event or heartbeat
  // (everything the service wrote before it has arrived).
  const confirmation = createConfirmation();
  let streamOpen = false;
  let closed = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let stream: { close(): void } | undefined;
  let lastError: unknown;
  const inflight = new AbortController();

  async function fetchPage(after: number | undefined): Promise<FeedPage> {
    const url = after === undefined ? feedUrl : `${feedUrl}?after=${after}`;
    let res: Response;
    try {
      res = await fetchImpl(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([inflight.signal, AbortSignal.timeout(FEED_TIMEOUT_MS)]),
      });
    } catch (err) {
      throw new Error(`could not reach the revocation feed ${feedUrl}: ${describeCause(err)}`, { cause: err });
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`revocation feed ${feedUrl} answered HTTP ${res.status}`);
    }
    return readPage(await res.json());
  }

  // A load counts only once every page is in: a list missing its tail would accept revoked tokens.
  async function pollOnce(full = false): Promise<void> {
    const startedMs = clock.now();
    let after = latch.isResolved() && !full ? list.lastSeq : undefined;
    for (;;) {
      const page = await fetchPage(after);
      for (const raw of page.revocations) {
        const entry = parseEntry(raw);
        if (entry) list.apply(entry);
      }
      if (page.lastSeq !== undefined) list.advanceTo(page.lastSeq);
      if (!page.hasMore) break;
      if (page.lastSeq === undefined || page.lastSeq <= (after ?? 0)) throw new Error('revocation feed has more pages but did not advance');
      after = page.lastSeq;
    }
    latch.resolve();
    confirmation.confirm(startedMs);
    // The stream starts once the list is complete, and resumes after it.
    if (!stream && !closed) stream = openStream();
  }

  // Polls until the first load, and again whenever the stream is down; idle while it is open.
  function schedulePoll(delayMs: number): void {
    if (closed || pollTimer) return;
    pollTimer = setTimeout(() => {
      pollTimer = undefined;
      if (closed || (streamOpen && latch.isResolved())) return;
      pollOnce()
        .then(() => {
          lastError = undefined;
        })
        .catch((err: unknown) => {
          lastError = err;
        })
        .finally(() => {
          if (!streamOpen || !latch.isResolved()) schedulePoll(pollMs);
        });
    }, delayMs);
    pollTimer.unref();
  }

  const openStream = () =>
    connectEventStream({
      url: endpoint(o.authUrl, '/v1/revocations/stream'),
      fetch: fetchImpl,
      lastEventId: () => String(list.lastSeq),
      onEvent: (event) => {
        if (event.type !== 'revocation') return;
        const entry = parseEntryJson(event.data);
        if (entry) list.apply(entry);
        confirmation.confirm(clock.now());
      },
      onComment: (text) => {
        if (text === 'ping') confirmation.confirm(clock.now());
      },
      onOpen: () => {
        streamOpen = true;
      },
      onDown: () => {
        streamOpen = false;
        schedulePoll(0);
      },
      idleTimeoutMs: STREAM_IDLE_MS,
      initialDelayMs: FIRST_RECONNECT_MS,
      maxDelayMs: o.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_MS,
    });

  schedulePoll(0);
  // Belt and braces: a full reload now and then repairs anything a dropped event could have missed.
  const resync = setInterval(() => void pollOnce(true).catch(() => undefined), FULL_RESYNC_MS);
  resync.unref();

  return {
    isLoaded: latch.isResolved,
    loaded: latch.promise,
    confirmedAtMs: confirmation.atMs,
    lastError: () => lastError,
    close() {
      closed = true;
      clearTimeout(pollTimer);
      clearInterval(resync);
      stream?.close();
      inflight.abort();
      return Promise.resolve();
    },
  };
}
