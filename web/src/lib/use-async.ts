// Loading state for one API read, with optional polling. The latest call wins: a slow answer to an
// old request never overwrites a newer one.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface AsyncState<T> {
  data: T | undefined;
  error: Error | null;
  loading: boolean;
  reload: () => void;
  setData: (update: (prev: T | undefined) => T | undefined) => void;
}

export function useAsync<T>(load: () => Promise<T>, deps: unknown[], options: { pollMs?: number } = {}): AsyncState<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    loadRef.current().then(
      (value) => {
        if (mine !== generation.current) return;
        setDataState(value);
        setError(null);
        setLoading(false);
      },
      (err: Error) => {
        if (mine !== generation.current) return;
        setError(err);
        setLoading(false);
      },
    );
  }, []);

  useEffect(run, deps);

  useEffect(() => {
    if (!options.pollMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') run();
    }, options.pollMs);
    return () => clearInterval(timer);
  }, [options.pollMs, run]);

  useEffect(() => () => void generation.current++, []);

  return { data, error, loading, reload: run, setData: setDataState };
}
