import type { RolloutView, WaveState } from '../../../contracts/rolloutApi';
import { finishedCount } from '../model/deviceStates';
import { StateBar, StateLegend } from './StateBar';

const WAVE_STATE_LABELS: Record<WaveState, string> = {
  pending: 'not started',
  soaking: 'soaking',
  running: 'running',
  paused: 'paused',
  awaitingApproval: 'awaiting approval',
  completed: 'completed',
  completedWithFailures: 'completed with failures',
  aborted: 'aborted',
  canceled: 'canceled',
};

/** Each wave: its share of the fleet, state, and devices by state as a bar with the counts beside it. */
export function WaveList({ rollout }: { rollout: RolloutView }) {
  return (
    <section aria-labelledby="waves-heading">
      <h2 id="waves-heading">Waves</h2>
      <ol class="waves">
        {rollout.waves.map((wave) => (
          <li key={wave.index} class="wave" data-wave={wave.index}>
            <div class="wave-title">
              <strong>
                {wave.index + 1}. {wave.name}
              </strong>
              <span class="muted"> up to {wave.percent} % of the fleet</span>
              <span class="wave-state"> · {WAVE_STATE_LABELS[wave.state]}</span>
              <span class="count wave-count">
                {' '}
                · {finishedCount(wave)}/{wave.targeted} done
              </span>
            </div>
            <StateBar counts={wave} />
            <StateLegend counts={wave} />
          </li>
        ))}
      </ol>
    </section>
  );
}
