/**
 * The barrier between a wave's stage pass and its apply pass (stageThenApply). The stage pass ends
 * when every device of the wave has finished it (staged, or a verdict) or at the stage deadline, when
 * the devices not staged by then stop holding the wave (timedOut stageDeadline, or canceled if never
 * started). Then the barrier judges the wave once: it is met when at least `stagedPercent` of the
 * wave's devices are ready, i.e. staged, or already on the version (an agent without staging that
 * installed at once and succeeded, or one that had it: skipped). Met: the staged devices are applied.
 * Not met: nothing is applied, and the wave stops as the failure threshold's action says (pause: a
 * resume applies the staged devices all the same; abort: they are canceled), because applying part
 * of a wave is what an operator who asked for a share staged first did not want.
 */
import type { StageThenApply, Totals } from '../../../contracts/rolloutApi';
import { BASIS_POINTS_IN_WHOLE, basisPoints, percentOf } from './percent';

export interface StageBarrier {
  met: boolean;
  /** Devices ready for the apply pass: staged, or on the version already. */
  ready: number;
  /** The wave's devices. */
  devices: number;
  /** ready / devices in percent, two decimals. */
  percent: number;
}

/** The barrier's verdict on a stage pass that ended with `staged` devices staged and `totals` settled. */
export function stageBarrier(policy: StageThenApply, devices: number, staged: number, totals: Totals): StageBarrier {
  const ready = staged + totals.succeeded + totals.skipped;
  const met = devices === 0 || ready * BASIS_POINTS_IN_WHOLE >= basisPoints(policy.stagedPercent) * devices;
  return { met, ready, devices, percent: devices === 0 ? 100 : percentOf(ready, devices) };
}

/** Why a wave's apply pass did not start, for the rollout's error and the log. */
export function stageBarrierMissed(wave: number, barrier: StageBarrier, policy: StageThenApply): string {
  return (
    `only ${barrier.ready} of ${barrier.devices} devices of wave ${wave} (${barrier.percent} %) were staged or up to date ` +
    `when its stage pass ended; stageThenApply needs ${policy.stagedPercent} %`
  );
}
