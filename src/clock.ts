/** Injectable time source; tests pass a fake to move time without sleeping. */
export type Clock = { now(): number };

export const systemClock: Clock = { now: () => Date.now() };

export function fakeClock(startMs = Date.now()): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = startMs;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}
