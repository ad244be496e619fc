import type { RolloutView } from '../../../contracts/rolloutApi';
import { finishedCount, waveStateLabel } from '../model/deviceStates';
import { StateBar, StateLegend } from './StateBar';

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
              <span class="wave-state"> · {waveStateLabel(wave.state)}</span>
              {wave.pass === undefined ? null : <span class="wave-pass"> · {wave.pass === 'stage' ? 'stage pass' : 'apply pass'}</span>}
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
