import {
  applyMoves,
  catalogPage,
  emptyCatalog,
  finishWave,
  isWaveFinal,
  ledgerStatus,
  planLedger,
  registerRollout,
  setWaveState,
  totalsOf,
  updateRolloutState,
} from '../../../functions/src/rollout';
import type { LedgerPlan, Totals } from '../../../functions/src/rollout';
import { FIRMWARE } from '../support/fixtures';

const AT = '2025-01-01T00:00:00.000Z';
const PLAN: LedgerPlan = {
  rolloutId: 'r1',
  firmware: FIRMWARE,
  createdAt: AT,
  shardCount: 2,
  waves: [
    { index: 0, name: 'canary', percent: 10, targeted: 2 },
    { index: 1, name: 'rest', percent: 100, targeted: 8 },
  ],
  skipped: 3,
};

describe('rollout ledger', () => {
  test('planned: every device pending, skipped ones outside the waves', () => {
    const status = ledgerStatus(planLedger(PLAN, AT), 'running');
    expect(status.totals).toEqual(totalsOf({ pending: 10, skipped: 3 }));
    expect(status.waves.map((w) => [w.name, w.state, w.targeted])).toEqual([
      ['canary', 'pending', 2],
      ['rest', 'pending', 8],
    ]);
  });

  test('moves count live; impossible moves (duplicates) are dropped; a final wave takes the orchestration totals', () => {
    let ledger = setWaveState(planLedger(PLAN, AT), 0, 'running', AT);
    ledger = applyMoves(
      ledger,
      [
        { wave: 0, from: 'pending', to: 'inProgress' },
        { wave: 0, from: 'pending', to: 'inProgress' },
        { wave: 0, from: 'pending', to: 'inProgress' },
      ],
      '2025-01-01T00:01:00.000Z',
    );
    expect(ledger.waves[0]).toMatchObject({ state: 'running', pending: 0, inProgress: 2 });
    expect(ledger.updatedAt).toBe('2025-01-01T00:01:00.000Z');
    ledger = applyMoves(
      ledger,
      [
        { wave: 0, from: 'inProgress', to: 'succeeded' },
        { wave: 7, from: 'pending', to: 'failed' },
      ],
      AT,
    );
    const final: Totals = totalsOf({ succeeded: 1, timedOut: 1 });
    ledger = finishWave(ledger, 0, 'completedWithFailures', { ...final, extra: 1 } as Totals, AT);
    expect(isWaveFinal(ledger, 0)).toBe(true);
    expect(ledger.waves[0]).toEqual({ index: 0, name: 'canary', percent: 10, state: 'completedWithFailures', ...final });
    // Late moves for a finished wave change nothing, nor does a state for it.
    expect(applyMoves(ledger, [{ wave: 0, from: 'inProgress', to: 'failed' }], AT)).toBe(ledger);
    expect(setWaveState(ledger, 0, 'running', AT)).toBe(ledger);
    expect(ledgerStatus(ledger, 'running', '2025-01-02T00:00:00.000Z').updatedAt).toBe('2025-01-02T00:00:00.000Z');
  });
});

describe('rollout catalog', () => {
  const entry = (id: string, createdAt: string) => ({
    id,
    createdAt,
    firmwareVersion: '2.1.0',
    state: 'running' as const,
    updatedAt: createdAt,
  });

  test('newest first; same instant by id; registering again keeps the first entry; paging by position', () => {
    let catalog = emptyCatalog();
    for (const [id, createdAt] of [
      ['b', '2025-01-02'],
      ['a', '2025-01-02'],
      ['old', '2025-01-01'],
      ['new', '2025-01-03'],
    ])
      catalog = registerRollout(catalog, entry(id, createdAt));
    catalog = registerRollout(catalog, entry('a', '2030-01-01'));
    catalog = updateRolloutState(catalog, 'old', 'completed', '2025-01-05');
    const first = catalogPage(catalog, 2);
    expect(first.items.map((e) => e.id)).toEqual(['new', 'a']);
    // A rollout created between two page reads does not shift the next page.
    catalog = registerRollout(catalog, entry('newest', '2025-02-01'));
    const second = catalogPage(catalog, 2, first.next!);
    expect(second.items.map((e) => [e.id, e.state])).toEqual([
      ['b', 'running'],
      ['old', 'completed'],
    ]);
    expect(second.next).toBeNull();
    expect(updateRolloutState(catalog, 'nope', 'completed', AT)).toBe(catalog);
  });
});
