import { rolloutSummary, RolloutProgress } from './renderRollout';
import { isFinalRolloutState, type RolloutStatus, type RolloutView } from '../../../contracts/rolloutApi';
import type { RolloutApiClient } from './RolloutApiClient';

/** Polls a rollout once a second, drawing per-wave progress bars, until it reaches a final state. */
export async function watchRollout(
  api: RolloutApiClient,
  id: string,
  options: { intervalMs?: number; quiet?: boolean } = {},
): Promise<RolloutView> {
  const progress = options.quiet ? undefined : new RolloutProgress();
  try {
    for (;;) {
      const rollout = await api.get(id);
      progress?.update(rollout);
      if (isFinalRolloutState(rollout.state)) return rollout;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
    }
  } finally {
    progress?.stop();
  }
}

/** Exit code for a finished rollout: 0 only when every targeted device succeeded or was skipped. */
export function exitCodeFor(rollout: RolloutStatus): number {
  return rollout.state === 'completed' ? 0 : 2;
}

export function printFinal(rollout: RolloutView): void {
  console.log(`\n${rolloutSummary(rollout)}`);
}
