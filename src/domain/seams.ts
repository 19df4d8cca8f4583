// The seams between an instance and the state it shares with other instances: each has a Redis
// implementation (several instances) and is shaped for an in-process one (one embedded instance).
import type { RevocationEntry } from './revocation/entry.js';

/**
 * The revocation list every instance and verifier shares (Redis today; in-process for one embedded
 * instance). Postgres stays the source of truth: this list is rebuilt from it whenever it is lost.
 */
export type RevocationStore = {
  /** Adds entries to the shared list, then tells subscribed verifiers, in that order. */
  announce(entries: RevocationEntry[]): Promise<void>;
  /** True once the list has been rebuilt from Postgres (and not lost since). */
  isReady(): Promise<boolean>;
  /** Replaces the whole list and marks it ready, atomically. */
  replace(entries: RevocationEntry[]): Promise<void>;
  /** What the list holds, by entry ID; `undefined` where a value cannot be read. */
  read(): Promise<Map<string, RevocationEntry | undefined>>;
  remove(entryIds: string[]): Promise<void>;
  /** Drops entries whose every matching token has expired; answers how many. */
  prune(nowMs: number): Promise<number>;
  /** Runs `fn` unless another instance holds the rebuild lock (then answers undefined). */
  withRebuildLock<T>(fn: () => Promise<T>): Promise<T | undefined>;
};

export type BusMessage =
  | { type: 'key.changed'; keyId: string }
  | {
      type: 'revocation';
      entry: RevocationEntry;
      /** When Postgres committed it (ms), for the propagation metric. */ committedAtMs?: number;
    }
  | { type: 'signing-keys.changed' }
  /** A user's sessions ended or their role changed: drop their cached sessions. */
  | { type: 'people.changed'; userId: string };

export type PublishResult = {
  receivers: number;
  acked: number;
  /** Of the peers the publisher named, those that did not acknowledge in time. */
  missing?: string[];
};

/** Messages between service instances (Redis pub/sub today; in-process for one embedded instance). */
export type InstanceBus = {
  readonly instanceId: string;
  /**
   * True while the bus is sure to hear every message: subscribed, resynchronised and hearing its own
   * heartbeat. The one answer to "may in-process caches be trusted" (see `memoryTrusted`).
   */
  isLive(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Publishes to every instance and waits (bounded) until each has applied the message: each of
   * `expect` (instance IDs) when given, else as many as Redis counted receivers.
   */
  publish(message: BusMessage, expect?: readonly string[]): Promise<PublishResult>;
};

/** What an instance does with the bus's events. */
export type BusHandlers = {
  onMessage(message: BusMessage): void | Promise<void>;
  /** Runs after every (re)subscription, before the bus reports live: reload what may have been missed. */
  onResync(): Promise<void>;
  /** Runs when the bus stops being live: stop trusting caches. */
  onDown(): void;
};

export type CounterOp = 'incr' | 'peek' | 'decr';
export type CounterState = { hits: number; resetMs: number };

/** Fixed-window counters shared by every instance (rate limits). */
export type RateCounters = {
  /** Applies every op in one round trip; answers each counter's hits and the time left in its window. */
  apply(windowMs: number, ops: ReadonlyArray<readonly [key: string, op: CounterOp]>): Promise<CounterState[]>;
};
