import { rolloutSummary, RolloutProgress } from './renderRollout';
import { FINAL_ROLLOUT_STATES, type RolloutApiClient, type RolloutView } from './RolloutApiClient';

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
      if (FINAL_ROLLOUT_STATES.has(rollout.state)) return rollout;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
    }
  } finally {
    progress?.stop();
  }
}

/** Exit code for a finished rollout: 0 only when every targeted device succeeded or was skipped. */
export function exitCodeFor(rollout: RolloutView): number {
  return rollout.state === 'completed' ? 0 : 2;
}

export function printFinal(rollout: RolloutView): void {
  console.log(`\n${rolloutSummary(rollout)}`);
}
