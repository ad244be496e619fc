import { useState } from 'preact/hooks';

/**
 * A command sent from a confirmation dialog: busy while it is under way; on success `done` runs (the
 * caller closes its dialog and refreshes); on failure the error stays for the dialog to show.
 */
export function useConfirmedAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<unknown>, done: () => void) => {
    setBusy(true);
    try {
      await action();
      setError(null);
      done();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clearError: () => setError(null) };
}
