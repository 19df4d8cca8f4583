/** Something that fills a RevocationList and keeps it current. */
export type RevocationSource = {
  /** True once the complete list has been loaded at least once. */
  isLoaded(): boolean;
  /** Resolves at the first complete load; rejects only when the source can never load (misconfiguration). */
  readonly loaded: Promise<void>;
  close(): Promise<void>;
};

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
