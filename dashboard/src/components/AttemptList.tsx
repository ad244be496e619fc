import type { RolloutAttempt } from '../../../contracts/rolloutApi';
import { barStateLabel } from '../model/deviceStates';
import { formatTime } from '../model/format';
import { DataTable, type Column } from './DataTable';

const COLUMNS: Column<RolloutAttempt>[] = [
  { header: 'Attempt', cell: (attempt) => attempt.attempt },
  { header: 'Started', cell: (attempt) => formatTime(attempt.startedAt), class: 'time' },
  { header: 'Finished', cell: (attempt) => (attempt.finishedAt === null ? 'running' : formatTime(attempt.finishedAt)), class: 'time' },
  { header: 'Devices', cell: (attempt) => selectionText(attempt) },
  {
    header: 'Outcome',
    cell: ({ totals }) =>
      `${totals.targeted} devices: ${totals.succeeded} succeeded, ${totals.failed} failed, ${totals.timedOut} timed out, ` +
      `${totals.canceled} canceled, ${totals.skipped} skipped, ${totals.inProgress + totals.pending} not finished`,
  },
];

function selectionText({ retried }: RolloutAttempt): string {
  if (retried === null) return 'every target';
  const states = retried.states.map(barStateLabel).join(', ');
  return retried.errorCodes === null ? `retried: ${states}` : `retried: ${states} with ${retried.errorCodes.join(', ')}`;
}

/** Each run over the rollout's devices: the first, then one per retry, with what each took and how it ended. */
export function AttemptList({ attempts }: { attempts: readonly RolloutAttempt[] }) {
  if (attempts.length < 2) return null;
  return (
    <section aria-labelledby="attempts-heading">
      <h2 id="attempts-heading">Attempts</h2>
      <DataTable label="Attempts" columns={COLUMNS} rows={attempts} rowKey={(attempt) => attempt.attempt} />
    </section>
  );
}
