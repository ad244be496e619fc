import type { GanttBar } from '../model/timelinePhases';
import { barStateLabel } from '../model/deviceStates';
import { formatDuration } from '../model/format';

/** One row per stage, its bar placed and sized by time, labelled with its duration. */
export function Gantt({ bars }: { bars: readonly GanttBar[] }) {
  if (bars.length === 0) return <p class="muted">The device has not started yet.</p>;
  return (
    <ol class="gantt" aria-label="Stages of the update with their durations">
      {bars.map((bar) => {
        const label = bar.verdict === undefined ? bar.stage : barStateLabel(bar.verdict);
        const duration = bar.verdict !== undefined ? '' : `${formatDuration(bar.durationMs)}${bar.ongoing ? ' so far' : ''}`;
        return (
          <li key={bar.stage} class="gantt-row">
            <span class="gantt-label">{label}</span>
            <span class="gantt-track">
              <span
                class={`gantt-bar stage-${bar.stage}${bar.verdict === undefined ? '' : ` state-${bar.verdict}`}`}
                style={{ marginLeft: `${bar.offsetPercent}%`, width: `${bar.widthPercent}%` }}
              />
            </span>
            <span class="gantt-duration">{duration}</span>
          </li>
        );
      })}
    </ol>
  );
}
