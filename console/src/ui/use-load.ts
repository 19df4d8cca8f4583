import { useEffect, useState } from 'preact/hooks';

export type Loaded<T> = {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (after a change), keeping what is shown until the new answer arrives. */
  reload: () => void;
};

/** Runs `load` when the inputs change; a stale answer (inputs changed meanwhile) is dropped. */
export function useLoad<T>(load: () => Promise<T>, inputs: readonly unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(undefined);
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [...inputs, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}
