import type { RolloutView } from '../../../contracts/rolloutApi';
import { formatPercent } from '../model/format';

/** The failure threshold as set, and the failure share of the wave it judges now. */
export function ThresholdSummary({ rollout }: { rollout: RolloutView }) {
  const { policy, failureShare } = rollout;
  const judged = failureShare === null ? undefined : rollout.waves[failureShare.wave];
  return (
    <section aria-labelledby="threshold-heading">
      <h2 id="threshold-heading">Failure threshold</h2>
      {policy === null ? (
        <p class="muted">The rollout's policy is no longer known.</p>
      ) : (
        <p>
          {policy.failureThreshold.action === 'pause' ? 'Pauses' : 'Aborts'} when more than {formatPercent(policy.failureThreshold.percent)}{' '}
          of a wave's finished devices fail, once at least {policy.failureThreshold.minDevices} finished.
        </p>
      )}
      {failureShare === null ? (
        <p class="muted">No device has finished yet.</p>
      ) : (
        <p class="failure-share">
          Now: {formatPercent(failureShare.percent)} in wave {failureShare.wave + 1}
          {judged === undefined ? '' : ` (${judged.name})`} — {failureShare.failed} of {failureShare.finished} finished devices failed or
          timed out.
        </p>
      )}
    </section>
  );
}
