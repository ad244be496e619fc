import { useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | null;
  error: unknown;
  /** Load again now (after a command), without waiting for the next tick. */
  refresh: () => void;
}

/**
 * Loads, then loads again `intervalMs` after each answer: never two requests at once, and
 * nothing while the tab is hidden (it loads at once when shown again). A change of `deps` starts
 * over with no data; answers to the old deps are dropped. A change of `refreshOn` loads again at
 * once, keeping what is shown until the answer comes. Each load is the latest `load` given.
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number, deps: readonly unknown[], refreshOn?: unknown): Polled<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown }>({ data: null, error: null });
  const refreshRef = useRef<() => void>(() => undefined);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let stopped = false;
    let inFlight = false;
    let again = false;
    let timer: number | undefined;

    const tick = async () => {
      window.clearTimeout(timer);
      timer = undefined;
      if (stopped || document.hidden) return;
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      try {
        const data = await loadRef.current();
        if (!stopped) setState({ data, error: null });
      } catch (error) {
        if (!stopped) setState((previous) => ({ data: previous.data, error }));
      } finally {
        inFlight = false;
      }
      if (stopped || document.hidden) return;
      if (again) {
        again = false;
        void tick();
      } else timer = window.setTimeout(() => void tick(), intervalMs);
    };
    const onVisibility = () => {
      if (!document.hidden && timer === undefined && !inFlight) void tick();
    };

    setState({ data: null, error: null });
    refreshRef.current = () => void tick();
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
    // `load` is a new closure each render; `deps` says when it means something new.
  }, deps);

  const firstRefreshOn = useRef(true);
  useEffect(() => {
    if (firstRefreshOn.current) firstRefreshOn.current = false;
    else refreshRef.current();
  }, [refreshOn]);

  return { ...state, refresh: () => refreshRef.current() };
}
