import type { InProgressBy, Totals } from '../../../contracts/rolloutApi';
import { barDescription, barSegments, barStateLabel, BAR_STATES } from '../model/deviceStates';

/**
 * Devices by state as one stacked bar. The bar is a picture (role img) whose label is the counts
 * in words; the colours are explained by <StateLegend>.
 */
export function StateBar({ counts, compact = false }: { counts: Totals & { inProgressBy: InProgressBy }; compact?: boolean }) {
  const segments = barSegments(counts);
  return (
    <div class={compact ? 'state-bar compact' : 'state-bar'} role="img" aria-label={barDescription(segments, counts.targeted)}>
      {segments
        .filter((segment) => segment.count > 0)
        .map((segment) => (
          <span
            key={segment.state}
            class={`segment state-${segment.state}`}
            style={{ width: `${segment.percent}%` }}
            title={`${segment.count} ${barStateLabel(segment.state)}`}
          />
        ))}
    </div>
  );
}

/** What each colour means, with the counts when given. */
export function StateLegend({ counts }: { counts?: Totals & { inProgressBy: InProgressBy } }) {
  const segments = counts === undefined ? null : barSegments(counts);
  return (
    <ul class="legend">
      {BAR_STATES.map((state, index) => (
        <li key={state}>
          <span class={`swatch state-${state}`} aria-hidden="true" />
          {barStateLabel(state)}
          {segments === null ? null : <span class="count"> {segments[index].count}</span>}
        </li>
      ))}
    </ul>
  );
}
