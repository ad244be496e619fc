import { useState } from 'preact/hooks';
import type { ApprovalTimeoutAction, ControlOperation, RolloutView } from '../../../contracts/rolloutApi';
import { formatTime } from '../model/format';
import { useApi } from '../api/apiContext';
import { useConfirmedAction } from '../hooks/useConfirmedAction';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorNotice } from './ErrorNotice';
import { RetryControl } from './RetryControl';

const OPERATIONS: Record<ControlOperation, { label: string; question: string; consequence: string }> = {
  pause: {
    label: 'Pause',
    question: 'Pause this rollout?',
    consequence: 'No device starts until it is resumed; devices already updating finish.',
  },
  resume: { label: 'Resume', question: 'Resume this rollout?', consequence: 'Devices start again, up to the concurrency limit.' },
  approve: { label: 'Approve', question: 'Approve the next wave?', consequence: 'The waiting wave starts.' },
  cancel: {
    label: 'Cancel rollout',
    question: 'Cancel this rollout?',
    consequence: 'No device starts again, ever; devices already updating finish. This cannot be undone.',
  },
};
const OPERATION_NAMES = Object.keys(OPERATIONS) as ControlOperation[];
const ON_TIMEOUT: Record<ApprovalTimeoutAction, string> = {
  approve: 'approves it by itself',
  cancel: 'is canceled',
  pause: 'pauses',
};

/** The approval gate, the four commands and retry, each behind a confirmation; a command that does not apply says why. */
export function RolloutControls({ rollout, onDone }: { rollout: RolloutView; onDone: () => void }) {
  const api = useApi();
  const [asking, setAsking] = useState<ControlOperation | null>(null);
  const { busy, error, run, clearError } = useConfirmedAction();
  const gateWave = rollout.state === 'awaitingApproval' && rollout.control.wave !== null ? rollout.waves[rollout.control.wave] : undefined;

  const confirm = (operation: ControlOperation) =>
    run(
      () => api.command(rollout.id, operation),
      () => {
        setAsking(null);
        onDone();
      },
    );

  return (
    <section aria-labelledby="controls-heading">
      <h2 id="controls-heading">Controls</h2>
      {gateWave === undefined ? null : (
        <p class="gate">
          Wave {gateWave.index + 1} ({gateWave.name}) is waiting for approval to start.
          {rollout.approvalDeadline === null || rollout.policy?.approval.onTimeout === undefined ? null : (
            <>
              {' '}
              Without a decision by {formatTime(rollout.approvalDeadline)}, the rollout {ON_TIMEOUT[rollout.policy.approval.onTimeout]}.
            </>
          )}
        </p>
      )}
      <div class="controls">
        {OPERATION_NAMES.map((operation) => {
          const reason = rollout.actions[operation];
          return (
            <div key={operation} class="control">
              <button
                type="button"
                class={operation === 'cancel' ? 'danger' : operation === 'approve' && gateWave !== undefined ? 'primary' : ''}
                disabled={reason !== null}
                title={reason ?? undefined}
                aria-describedby={reason === null ? undefined : `why-${operation}`}
                onClick={() => {
                  clearError();
                  setAsking(operation);
                }}
              >
                {OPERATIONS[operation].label}
              </button>
              {reason === null ? null : (
                <span id={`why-${operation}`} class="why">
                  {reason}
                </span>
              )}
            </div>
          );
        })}
        <RetryControl rollout={rollout} onDone={onDone} />
      </div>
      {OPERATION_NAMES.map((operation) => (
        <ConfirmDialog
          key={operation}
          open={asking === operation}
          title={OPERATIONS[operation].question}
          confirmLabel={OPERATIONS[operation].label}
          busy={busy}
          onConfirm={() => void confirm(operation)}
          onCancel={() => setAsking(null)}
        >
          <p>{OPERATIONS[operation].consequence}</p>
          {asking === operation ? <ErrorNotice error={error} /> : null}
        </ConfirmDialog>
      ))}
    </section>
  );
}
