import { useState } from 'preact/hooks';
import { DEFAULT_RETRY_STATES, RETRYABLE_DEVICE_STATES, isFinalRolloutState } from '../../../contracts/rolloutApi';
import type { RetryableDeviceState, RolloutView } from '../../../contracts/rolloutApi';
import { useApi } from '../api/apiContext';
import { barStateLabel } from '../model/deviceStates';
import { retryRequestBody } from '../model/retryForm';
import { useConfirmedAction } from '../hooks/useConfirmedAction';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorNotice } from './ErrorNotice';

/**
 * Retry, for a finished rollout: which device states (and, optionally, error codes) run again, in a
 * new attempt through the same waves and policies. Disabled with the API's reason while it cannot.
 */
export function RetryControl({ rollout, onDone }: { rollout: RolloutView; onDone: () => void }) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [states, setStates] = useState<readonly RetryableDeviceState[]>(DEFAULT_RETRY_STATES);
  const [errorCodes, setErrorCodes] = useState('');
  const { busy, error, run, clearError } = useConfirmedAction();
  // `actions.retry` answers for the default body (failed and timed out): a finished rollout whose only
  // leftovers are canceled devices can still retry them, so the button stays enabled and the API has the last word.
  const reason = isFinalRolloutState(rollout.state) && rollout.totals.canceled > 0 ? null : rollout.actions.retry;

  const confirm = () =>
    run(
      () => api.retry(rollout.id, retryRequestBody(states, errorCodes)),
      () => {
        setOpen(false);
        onDone();
      },
    );
  const toggle = (state: RetryableDeviceState, on: boolean) =>
    setStates(RETRYABLE_DEVICE_STATES.filter((s) => (s === state ? on : states.includes(s))));

  return (
    <div class="control">
      <button
        type="button"
        disabled={reason !== null}
        title={reason ?? undefined}
        aria-describedby={reason === null ? undefined : 'why-retry'}
        onClick={() => {
          clearError();
          setOpen(true);
        }}
      >
        Retry devices
      </button>
      {reason === null ? null : (
        <span id="why-retry" class="why">
          {reason}
        </span>
      )}
      <ConfirmDialog
        open={open}
        title="Retry devices of this rollout?"
        confirmLabel="Retry"
        busy={busy}
        onConfirm={() => void confirm()}
        onCancel={() => setOpen(false)}
      >
        <p>
          Attempt {rollout.attempt + 1} runs the chosen devices again through the same waves and policies; the others keep their results.
        </p>
        <fieldset>
          <legend>Devices that ended</legend>
          {RETRYABLE_DEVICE_STATES.map((state) => (
            <label key={state} class="check">
              <input
                type="checkbox"
                name={`retry-${state}`}
                checked={states.includes(state)}
                onChange={(event) => toggle(state, event.currentTarget.checked)}
              />{' '}
              {barStateLabel(state)} ({rollout.totals[state]})
            </label>
          ))}
        </fieldset>
        <label for="retry-error-codes">Only these error codes (optional, comma-separated)</label>
        <input id="retry-error-codes" value={errorCodes} onInput={(event) => setErrorCodes(event.currentTarget.value)} />
        {open ? <ErrorNotice error={error} /> : null}
      </ConfirmDialog>
    </div>
  );
}
