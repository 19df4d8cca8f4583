import type { FetchLike } from './token-exchange.js';

/** One dispatched Server-Sent Event. */
export type SseEvent = { type: string; data: string; lastEventId: string };

/**
 * Incremental parser for `text/event-stream`, per the WHATWG HTML spec §9.2.6
 * ("Interpreting an event stream"). Feed it decoded text in any chunking.
 */
export class SseParser {
  #buffer = '';
  #data = '';
  #type = '';
  #lastEventId = '';
  #started = false;
  #skipLf = false;

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly onRetry: (ms: number) => void = () => undefined,
    private readonly onComment: (text: string) => void = () => undefined,
  ) {}

  push(chunk: string): void {
    if (!this.#started && chunk.length > 0) {
      this.#started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    // A CR that ended the previous chunk may be the first half of a CRLF.
    if (this.#skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.#skipLf = false;
    this.#buffer += chunk;
    for (;;) {
      const i = this.#buffer.search(/[\r\n]/);
      if (i === -1) return;
      const line = this.#buffer.slice(0, i);
      let width = 1;
      if (this.#buffer[i] === '\r') {
        if (i === this.#buffer.length - 1) this.#skipLf = true;
        else if (this.#buffer[i + 1] === '\n') width = 2;
      }
      this.#buffer = this.#buffer.slice(i + width);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return this.onComment(line.slice(1).trim()); // e.g. the `: ping` heartbeat
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#type = value;
        return;
      case 'data':
        this.#data += `${value}\n`;
        return;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        return;
      case 'retry':
        if (/^\d+$/.test(value)) this.onRetry(Number(value));
        return;
      default:
        return; // unknown fields are ignored
    }
  }

  #dispatch(): void {
    const data = this.#data;
    const type = this.#type || 'message';
    this.#data = '';
    this.#type = '';
    if (data === '') return;
    this.onEvent({ type, data: data.slice(0, -1), lastEventId: this.#lastEventId });
  }
}

export type EventStreamOptions = {
  url: string;
  fetch: FetchLike;
  /** Sent as `Last-Event-ID` on every (re)connection, so the server resumes after it. */
  lastEventId: () => string | undefined;
  onEvent: (event: SseEvent) => void;
  /** A comment line, without its colon (the service's heartbeat is `: ping`). */
  onComment?: (text: string) => void;
  /** The stream is open (HTTP 200, `text/event-stream`). */
  onOpen: () => void;
  /** The stream dropped or could not be opened; a reconnection is scheduled. */
  onDown: (error: unknown) => void;
  /** No byte at all for this long (heartbeats included) counts as a dead connection. */
  idleTimeoutMs: number;
  /** Reconnection delay before any `retry:` hint; doubles per consecutive failure up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
};

/** An EventSource on top of fetch: resumes with Last-Event-ID and reconnects with jittered backoff until closed. */
export function connectEventStream(o: EventStreamOptions): { close(): void } {
  let closed = false;
  // Read through a function: `close()` may flip it while `run` awaits.
  const isClosed = () => closed;
  let current: AbortController | undefined;
  let baseDelayMs = o.initialDelayMs;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  const run = async () => {
    if (closed) return;
    const controller = new AbortController();
    current = controller;
    let opened = false;
    try {
      opened = await readStream(
        o,
        controller,
        (ms) => (baseDelayMs = ms),
        () => {
          opened = true;
          failures = 0;
          o.onOpen();
        },
      );
      throw new Error('event stream ended');
    } catch (err) {
      if (isClosed()) return;
      if (!opened) failures++;
      o.onDown(err);
      const ceiling = Math.min(o.maxDelayMs, baseDelayMs * 2 ** Math.min(failures, 16));
      // Half fixed, half random: never a reconnect storm, never a tight loop.
      timer = setTimeout(() => void run(), ceiling / 2 + Math.random() * (ceiling / 2));
      timer.unref();
    }
  };
  void run();

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      current?.abort();
    },
  };
}

/** Reads one connection to its end; returns whether it was ever open. */
async function readStream(
  o: EventStreamOptions,
  controller: AbortController,
  onRetry: (ms: number) => void,
  onOpen: () => void,
): Promise<boolean> {
  let idle: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(new Error('event stream idle')), o.idleTimeoutMs);
    idle.unref();
  };
  try {
    touch();
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    const last = o.lastEventId();
    if (last) headers['last-event-id'] = last;
    const res = await o.fetch(o.url, { headers, signal: controller.signal });
    const type = res.headers.get('content-type') ?? '';
    if (res.status !== 200 || !type.startsWith('text/event-stream') || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`event stream answered HTTP ${res.status} ${type}`);
    }
    onOpen();
    const parser = new SseParser(o.onEvent, onRetry, o.onComment);
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      touch();
      parser.push(decoder.decode(value, { stream: true }));
    }
    return true;
  } finally {
    clearTimeout(idle);
    controller.abort();
  }
}
