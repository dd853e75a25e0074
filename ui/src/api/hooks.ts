// Loading an API answer into a component's state.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, CHANGED_EVENT } from "./http";

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/**
 * The answer of `load` (a client function bound to its arguments), fetched again when `key`
 * changes or on `reload()`; `null` loads nothing. Only the latest call's answer is kept.
 */
export function useApi<T>(load: (() => Promise<T>) | null, key: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(load !== null);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const enabled = load !== null;
  const signature = JSON.stringify(key);
  useEffect(() => {
    const current = loader.current;
    if (current === null) {
      setData(null);
      setLoading(false);
      return;
    }
    const mine = ++latest.current;
    setLoading(true);
    current()
      .then((value) => {
        if (mine === latest.current) {
          setData(value);
          setError(null);
        }
      })
      .catch((e: unknown) => {
        if (mine === latest.current) setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
      })
      .finally(() => {
        if (mine === latest.current) setLoading(false);
      });
  }, [signature, enabled, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Calls `reload` after every successful write made through the client (see `CHANGED_EVENT`). */
export function useReloadOnChange(reload: () => void): void {
  useEffect(() => {
    window.addEventListener(CHANGED_EVENT, reload);
    return () => window.removeEventListener(CHANGED_EVENT, reload);
  }, [reload]);
}
