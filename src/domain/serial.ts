/**
 * A queue of one: each call runs after the previous one has settled. Two flushes never write the
 * same batch, and two loads never apply their reads out of order.
 */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = last.then(fn);
    last = run.catch(() => undefined);
    return run;
  };
}
