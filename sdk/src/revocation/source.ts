/** Something that fills a RevocationList and keeps it current. */
export type RevocationSource = {
  /** True once the complete list has been loaded at least once. */
  isLoaded(): boolean;
  /** Resolves at the first complete load; rejects only when the source can never load (misconfiguration). */
  readonly loaded: Promise<void>;
  /** Latest time (clock ms) the list is known to have been current at; -Infinity before the first load. */
  confirmedAtMs(): number;
  /** Why the latest attempt to load failed (named in `ready()`'s timeout), or undefined. */
  lastError(): unknown;
  close(): Promise<void>;
};

/** Options both sources take. */
export type SourceOptions = {
  /** How long `verify` waits for the first load before failing closed. Default 5000. */
  readyTimeoutMs?: number;
  /**
   * Fail closed (`unavailable`, 503) once the source has not confirmed for this many seconds that
   * the list is current. Default: no bound.
   */
  maxStalenessSeconds?: number;
};

/** The latest confirmation time, only ever moving forward. */
export function createConfirmation() {
  let atMs = -Infinity;
  return {
    confirm(ms: number): void {
      if (ms > atMs) atMs = ms;
    },
    atMs: () => atMs,
  };
}

/** A promise with its resolve/reject, and whether it has resolved. */
export function createLatch() {
  let resolved = false;
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = () => {
      resolved = true;
      res();
    };
    reject = rej;
  });
  // A rejection nobody waits for yet is reported when someone does.
  promise.catch(() => undefined);
  return { promise, resolve, reject, isResolved: () => resolved };
}
