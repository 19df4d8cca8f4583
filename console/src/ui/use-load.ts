import { useEffect, useState } from 'preact/hooks';

export type Loaded<T> = {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (after a change), keeping what is shown until the new answer arrives. */
  reload: () => void;
};

/**
 * Runs `load` when the inputs (plain values) change; a stale answer (inputs changed meanwhile) is dropped,
 * and `loading` is true from the first render with new inputs.
 */
export function useLoad<T>(load: () => Promise<T>, inputs: readonly unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  // Until the effect below starts loading for new inputs, what is held belongs to the old ones.
  const [loadedFor, setLoadedFor] = useState<string>();
  const inputsKey = JSON.stringify(inputs);
  useEffect(() => {
    setLoadedFor(inputsKey);
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
  return { data, error, loading: loading || loadedFor !== inputsKey, reload: () => setTick((t) => t + 1) };
}
