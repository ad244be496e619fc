/**
 * Continuous rollouts (mode "continuous"): after its waves, the rollout keeps watching its target.
 * Every `rescanMinutes` it runs the target query again (the resolveTargets activity); the devices
 * the rollout does not know yet (registered or tagged since) get a row in their device shard, and
 * those not on the version yet run in one extra wave, named CONTINUOUS_WAVE_NAME, appended to the
 * plan once and grown by every rescan that finds devices (the waves list stays bounded). A device
 * the rollout already knows is never started again, whatever its outcome was; one already on the
 * version gets a skipped row, once.
 *
 * Cost of a rescan: the target query, one IoT Hub query per QUERY_PAGE_SIZE (1,000) devices that
 * match, or per LOOKUP_CHUNK (100) listed ids; plus one call to each device shard the candidates
 * hash to (≤ MAX_DEVICE_SHARDS) and one ledger signal. With the hub's tier set, rescans are spaced so
 * that they take at most RESCAN_QUERY_SHARE of the hub's query budget (rescanIntervalMs).
 */
import { operationLimit } from '../../../contracts/iotHubQuotas';
import type { HubScale } from '../../../contracts/iotHubQuotas';
import type { ContinuousPolicy, ContinuousProgress } from '../../../contracts/rolloutApi';
import type { RolloutLedgerState } from './rolloutLedger';
import { addTotals, totalsOf, waveStatus } from './rolloutStatus';

export const CONTINUOUS_WAVE_NAME = 'continuous';
/** The share of the hub's twin-query budget that a rollout's rescans may take, when the hub's tier is set. */
export const RESCAN_QUERY_SHARE = 0.1;

/**
 * The time from one rescan to the next: the policy's rescanMinutes, or longer when `queries` (what the
 * last rescan cost) would take more than RESCAN_QUERY_SHARE of the hub's query budget at that pace.
 */
export function rescanIntervalMs(policy: ContinuousPolicy, queries: number, scale: HubScale | null): number {
  const chosen = policy.rescanMinutes * 60_000;
  if (scale === null) return Math.round(chosen);
  const perMinute = operationLimit(scale, 'queries').perSecond * 60;
  return Math.round(Math.max(chosen, (queries / (RESCAN_QUERY_SHARE * perMinute)) * 60_000));
}

/** A rescan's candidates split by what the resolveTargets activity said: to update, or already on the version. */
export function newDevices(
  added: readonly string[],
  resolved: { targets: readonly string[]; skipped: readonly string[] },
): { targets: string[]; skipped: string[] } {
  const isNew = new Set(added);
  return { targets: resolved.targets.filter((id) => isNew.has(id)), skipped: resolved.skipped.filter((id) => isNew.has(id)) };
}

/**
 * The ledger's `continuousWave` operation: the continuous wave at `index` (created on first use,
 * right after the planned waves) gains `added` pending devices and is live again until its next final
 * totals; `skipped` new devices already on the version count outside the waves; `rescanAt` counts a rescan.
 */
export interface ContinuousWaveUpdate {
  index: number;
  added: number;
  skipped: number;
  /** When the rescan ran; null when the rollout only starts watching. */
  rescanAt: string | null;
}

export function updateContinuousWave(ledger: RolloutLedgerState, update: ContinuousWaveUpdate, at: string): RolloutLedgerState {
  const { index, added, skipped, rescanAt } = update;
  const existing = ledger.waves[index];
  if (existing === undefined && index !== ledger.waves.length) return ledger;
  const wave = existing ?? waveStatus({ index, name: CONTINUOUS_WAVE_NAME, percent: 100 }, 'watching', totalsOf());
  const grown = added === 0 ? wave : { ...wave, targeted: wave.targeted + added, pending: wave.pending + added };
  const progress: ContinuousProgress = ledger.continuous ?? { wave: index, pickedUp: 0, skipped: 0, rescans: 0, lastRescanAt: null };
  return {
    ...ledger,
    updatedAt: at,
    waves: existing === undefined ? [...ledger.waves, grown] : ledger.waves.map((item, i) => (i === index ? grown : item)),
    finalWaves:
      existing === undefined
        ? [...ledger.finalWaves, added === 0]
        : ledger.finalWaves.map((final, i) => (i === index ? final && added === 0 : final)),
    outsideWaves: skipped === 0 ? ledger.outsideWaves : addTotals(ledger.outsideWaves, totalsOf({ skipped })),
    continuous: {
      wave: index,
      pickedUp: progress.pickedUp + added,
      skipped: progress.skipped + skipped,
      rescans: progress.rescans + (rescanAt === null ? 0 : 1),
      lastRescanAt: rescanAt ?? progress.lastRescanAt,
    },
  };
}
