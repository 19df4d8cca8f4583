/** Injectable time source (milliseconds since the epoch); tests pass a fake to move time without sleeping. */
export type Clock = { now(): number };

export const systemClock: Clock = { now: () => Date.now() };
