import {
  applyCommand,
  applyMoves,
  displayState,
  finishWave,
  initialControlState,
  ledgerStatus,
  planLedger,
  reportPhase,
  rescanIntervalMs,
  rolloutPolicy,
  totalsOf,
  updateContinuousWave,
} from '../../../functions/src/rollout';
import type { LedgerPlan } from '../../../functions/src/rollout';
import { parseRolloutSpec } from '../../../functions/src/rollout';
import { validBody } from './fixtures';

const AT = '2025-01-01T00:00:00.000Z';
const MINUTE = 60_000;

function plannedLedger() {
  const parsed = parseRolloutSpec({ ...validBody(), mode: 'continuous' });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const plan: LedgerPlan = {
    rolloutId: 'r1',
    firmware: parsed.spec.firmware,
    createdAt: AT,
    shardCount: 1,
    waves: [{ index: 0, name: 'wave-1', percent: 100, targeted: 2 }],
    skipped: 1,
    policy: rolloutPolicy(parsed.spec),
  };
  return finishWave(planLedger(plan, AT), 0, 'completed', totalsOf({ succeeded: 2 }), AT);
}

describe('continuous rollouts: rescan spacing, ledger, control', () => {
  test('rescans every rescanMinutes; with the hub tier set, no more often than a tenth of its query budget allows', () => {
    expect(rescanIntervalMs({ rescanMinutes: 0.5 }, 3, null)).toBe(30_000);
    // S1, one unit: 20 queries a minute, 2 for rescans; a rescan of 1 query may run every 30 s.
    expect(rescanIntervalMs({ rescanMinutes: 0.5 }, 1, { tier: 'S1', units: 1 })).toBe(30_000);
    // 100 queries (a 100,000-device target) then every 50 minutes, longer than the 15 asked for.
    expect(rescanIntervalMs({ rescanMinutes: 15 }, 100, { tier: 'S1', units: 1 })).toBe(50 * MINUTE);
    expect(rescanIntervalMs({ rescanMinutes: 15 }, 100, { tier: 'S3', units: 1 })).toBe(15 * MINUTE);
  });

  test('the ledger appends the continuous wave once, grows it per rescan and counts its live moves until its final totals', () => {
    let ledger = updateContinuousWave(plannedLedger(), { index: 1, added: 0, skipped: 0, rescanAt: null }, AT);
    expect(ledger.waves.map((w) => [w.name, w.state, w.targeted])).toEqual([
      ['wave-1', 'completed', 2],
      ['continuous', 'watching', 0],
    ]);
    expect(ledger.continuous).toEqual({ wave: 1, pickedUp: 0, skipped: 0, rescans: 0, lastRescanAt: null });
    // Not a wave after it: ignored.
    expect(updateContinuousWave(ledger, { index: 3, added: 1, skipped: 0, rescanAt: AT }, AT)).toBe(ledger);

    ledger = updateContinuousWave(ledger, { index: 1, added: 2, skipped: 1, rescanAt: '2025-01-01T00:05:00.000Z' }, AT);
    ledger = applyMoves(ledger, [{ wave: 1, from: 'pending', to: 'succeeded' }], AT);
    const live = ledgerStatus(ledger, 'running');
    expect(live.waves[1]).toMatchObject({ targeted: 2, pending: 1, succeeded: 1 });
    expect(live.totals).toMatchObject({ targeted: 6, succeeded: 3, skipped: 2, pending: 1 });
    expect(ledger.continuous).toEqual({ wave: 1, pickedUp: 2, skipped: 1, rescans: 1, lastRescanAt: '2025-01-01T00:05:00.000Z' });

    ledger = finishWave(ledger, 1, 'watching', totalsOf({ succeeded: 2 }), AT);
    ledger = updateContinuousWave(ledger, { index: 1, added: 0, skipped: 0, rescanAt: '2025-01-01T00:10:00.000Z' }, AT);
    // Nothing new: the wave's final totals stand (a late move is ignored).
    expect(applyMoves(ledger, [{ wave: 1, from: 'succeeded', to: 'failed' }], AT).waves[1]).toMatchObject({ succeeded: 2, failed: 0 });
    expect(ledger.continuous?.rescans).toBe(2);
  });

  test('watching: the next rescan shows while watching and while paused from it, and a pause shows at once', () => {
    const rescanAt = '2025-01-01T00:05:00.000Z';
    let control = reportPhase(initialControlState(), { phase: 'watching', wave: 1, nextRescanAt: rescanAt }, AT);
    expect(control.nextRescanAt).toBe(rescanAt);
    control = applyCommand(control, 'pause', AT);
    expect(displayState(control)).toBe('paused');
    control = reportPhase(control, { phase: 'paused', wave: 1 }, AT);
    expect(control.nextRescanAt).toBe(rescanAt);
    control = reportPhase(applyCommand(control, 'resume', AT), { phase: 'running', wave: 1 }, AT);
    expect(control.nextRescanAt).toBeUndefined();
  });
});
