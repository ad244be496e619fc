import type { ControlLogEntry } from '../../../contracts/rolloutApi';
import { formatTime } from '../model/format';
import { DataTable, type Column } from './DataTable';

const COLUMNS: Column<ControlLogEntry>[] = [
  { header: 'Time', cell: (entry) => formatTime(entry.time), class: 'time' },
  { header: 'Operation', cell: (entry) => entry.operation },
  { header: 'Detail', cell: (entry) => entry.detail },
];

/** Who steered the rollout and when: operators' commands and the threshold's pauses. */
export function ControlLog({ log }: { log: readonly ControlLogEntry[] }) {
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading">Control log</h2>
      {log.length === 0 ? (
        <p class="muted">No commands yet.</p>
      ) : (
        <DataTable label="Control log" columns={COLUMNS} rows={log} rowKey={(_, index) => index} />
      )}
    </section>
  );
}
