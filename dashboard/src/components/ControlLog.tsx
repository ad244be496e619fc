import type { ControlLogEntry } from '../../../contracts/rolloutApi';
import { formatTime } from '../model/format';
import { TableScroll } from './TableScroll';

/** Who steered the rollout and when: operators' commands and the threshold's pauses. */
export function ControlLog({ log }: { log: readonly ControlLogEntry[] }) {
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading">Control log</h2>
      {log.length === 0 ? (
        <p class="muted">No commands yet.</p>
      ) : (
        <TableScroll label="Control log table">
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Operation</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {log.map((entry, index) => (
                <tr key={index}>
                  <td class="time">{formatTime(entry.time)}</td>
                  <td>{entry.operation}</td>
                  <td>{entry.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
