import { FIRMWARE_UPDATE_STATUSES } from '../../../contracts/firmwareUpdate';
import {
  DEVICE_ROLLOUT_STATES,
  applyMoves,
  bucketOf,
  catalogPage,
  emptyCatalog,
  finishWave,
  inProgressByOf,
  isWaveFinal,
  ledgerStatus,
  planLedger,
  registerRollout,
  rolloutPolicy,
  setWaveState,
  totalsOf,
  updateRolloutState,
} from '../../../functions/src/rollout';
import type { LedgerPlan, RolloutLedgerState, Totals } from '../../../functions/src/rollout';
import { FIRMWARE, specOf } from '../support/fixtures';

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
  policy: rolloutPolicy(specOf({ failureThreshold: { percent: 5, minDevices: 10, action: 'abort' }, maxConcurrency: 50 })),
};
const T = (minute: number): string => `2025-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

describe('rollout ledger', () => {
  test('planned: every device pending, skipped ones outside the waves', () => {
    const status = ledgerStatus(planLedger(PLAN, AT), 'running');
    expect(status.totals).toEqual(totalsOf({ pending: 10, skipped: 3 }));
    expect(status.waves.map((w) => [w.name, w.state, w.targeted])).toEqual([
      ['canary', 'pending', 2],
      ['rest', 'pending', 8],
    ]);
  });

  test('planned with the policy of its spec; nothing started yet', () => {
    const ledger = planLedger(PLAN, AT);
    expect(ledger.policy).toEqual({
      failureThreshold: { percent: 5, minDevices: 10, action: 'abort' },
      approval: { mode: 'auto' },
      maxConcurrency: 50,
      soakSeconds: 0,
    });
    expect(ledger.startedAt).toBeNull();
    expect(ledgerStatus(ledger, 'running').inProgressBy).toEqual(inProgressByOf());
  });

  test('a device counts in its bucket: its state, or for one in progress the stage of its last status', () => {
    expect(FIRMWARE_UPDATE_STATUSES.map((status) => [status, bucketOf({ state: 'inProgress', status })])).toEqual([
      ['waiting', 'waiting'],
      ['downloading', 'downloading'],
      ['downloadComplete', 'applying'],
      ['downloadFailed', 'downloading'],
      ['applying', 'applying'],
      ['applyComplete', 'applying'],
      ['applyFailed', 'applying'],
    ]);
    // Accepted, no report yet.
    expect(bucketOf({ state: 'inProgress', status: null })).toBe('waiting');
    // A staged install at downloadComplete waits for its apply pass; the apply call moves it on to applying.
    expect(bucketOf({ state: 'inProgress', status: 'downloadComplete', phase: 'staged' })).toBe('staged');
    expect(bucketOf({ state: 'inProgress', status: 'downloadComplete', phase: 'apply' })).toBe('applying');
    for (const state of DEVICE_ROLLOUT_STATES.filter((s) => s !== 'inProgress'))
      expect(bucketOf({ state, status: 'downloading' })).toBe(state);
  });

  test('moves count live, by state and stage; the first start is recorded; a move that does not fit (a duplicate) is dropped', () => {
    let ledger = setWaveState(planLedger(PLAN, AT), 0, 'running', AT);
    ledger = applyMoves(ledger, [{ wave: 0, from: 'pending', to: 'canceled' }], T(1));
    // A device canceled before it started is not a start.
    expect(ledger.startedAt).toBeNull();
    ledger = applyMoves(
      ledger,
      [
        { wave: 1, from: 'pending', to: 'waiting' },
        { wave: 1, from: 'pending', to: 'waiting' },
        { wave: 1, from: 'waiting', to: 'downloading' },
      ],
      T(2),
    );
    expect(ledger.waves[1]).toMatchObject({ pending: 6, inProgress: 2, inProgressBy: { waiting: 1, downloading: 1, applying: 0 } });
    expect(ledger.startedAt).toBe(T(2));
    ledger = applyMoves(
      ledger,
      [
        { wave: 1, from: 'downloading', to: 'applying' },
        { wave: 1, from: 'applying', to: 'succeeded' },
        { wave: 1, from: 'pending', to: 'downloading' },
        // Wave 0's last pending device starts; the same move again finds no device pending.
        { wave: 0, from: 'pending', to: 'waiting' },
        { wave: 0, from: 'pending', to: 'waiting' },
      ],
      T(3),
    );
    expect(ledger.waves[1]).toMatchObject({
      pending: 5,
      inProgress: 2,
      succeeded: 1,
      inProgressBy: { waiting: 1, downloading: 1, applying: 0 },
    });
    expect(ledger.waves[0]).toMatchObject({
      pending: 0,
      inProgress: 1,
      canceled: 1,
      inProgressBy: { waiting: 1, downloading: 0, applying: 0 },
    });
    expect(ledger.startedAt).toBe(T(2));
    // A device succeeding twice: the second finds none in progress. Nothing fits: the same ledger, not even its time changes.
    ledger = applyMoves(ledger, [{ wave: 0, from: 'waiting', to: 'succeeded' }], T(4));
    expect(applyMoves(ledger, [{ wave: 0, from: 'waiting', to: 'succeeded' }], T(5))).toBe(ledger);
    const status = ledgerStatus(ledger, 'running');
    expect(status.totals).toEqual(totalsOf({ pending: 5, inProgress: 2, succeeded: 2, canceled: 1, skipped: 3 }));
    expect(status.inProgressBy).toEqual({ waiting: 1, downloading: 1, staged: 0, applying: 0 });
  });

  test('a final wave takes the orchestration totals, with no device in progress; later moves for it are ignored', () => {
    let ledger = setWaveState(planLedger(PLAN, AT), 0, 'running', AT);
    ledger = applyMoves(
      ledger,
      [
        { wave: 0, from: 'pending', to: 'downloading' },
        { wave: 0, from: 'pending', to: 'applying' },
        { wave: 7, from: 'pending', to: 'failed' },
      ],
      T(1),
    );
    expect(ledger.waves[0]).toMatchObject({ state: 'running', pending: 0, inProgress: 2 });
    expect(ledger.updatedAt).toBe(T(1));
    const final: Totals = totalsOf({ succeeded: 1, timedOut: 1 });
    ledger = finishWave(ledger, 0, 'completedWithFailures', { ...final, extra: 1 } as Totals, AT);
    expect(isWaveFinal(ledger, 0)).toBe(true);
    expect(ledger.waves[0]).toEqual({
      index: 0,
      name: 'canary',
      percent: 10,
      state: 'completedWithFailures',
      ...final,
      inProgressBy: { waiting: 0, downloading: 0, staged: 0, applying: 0 },
    });
    // Late moves for a finished wave change nothing, nor does a state for it.
    expect(applyMoves(ledger, [{ wave: 0, from: 'downloading', to: 'failed' }], AT)).toBe(ledger);
    expect(setWaveState(ledger, 0, 'running', AT)).toBe(ledger);
    expect(ledgerStatus(ledger, 'running', '2025-01-02T00:00:00.000Z').updatedAt).toBe('2025-01-02T00:00:00.000Z');
  });

  test('a ledger and moves written before the stages were counted: in progress counts as waiting, the stages still sum up', () => {
    // As the previous version stored it: no inProgressBy, no startedAt, no policy.
    const legacy = JSON.parse(
      JSON.stringify({
        rolloutId: 'r1',
        firmware: FIRMWARE,
        createdAt: AT,
        updatedAt: AT,
        shardCount: 2,
        waves: [{ index: 0, name: 'all', percent: 100, state: 'running', ...totalsOf({ pending: 2, inProgress: 3 }) }],
        finalWaves: [false],
        outsideWaves: totalsOf(),
      }),
    ) as RolloutLedgerState;
    expect(ledgerStatus(legacy, 'running')).toMatchObject({
      totals: { inProgress: 3 },
      inProgressBy: { waiting: 3, downloading: 0, applying: 0 },
      waves: [{ inProgress: 3, inProgressBy: { waiting: 3, downloading: 0, applying: 0 } }],
    });
    const ledger = applyMoves(
      legacy,
      [
        // From a shard of the previous version.
        { wave: 0, from: 'pending', to: 'inProgress' },
        { wave: 0, from: 'inProgress', to: 'failed' },
        // From a shard of this version, for devices the ledger counted before the stages: taken from waiting.
        { wave: 0, from: 'downloading', to: 'applying' },
        { wave: 0, from: 'applying', to: 'succeeded' },
        { wave: 0, from: 'downloading', to: 'succeeded' },
      ],
      T(5),
    );
    expect(ledger.waves[0]).toMatchObject({ pending: 1, inProgress: 1, failed: 1, succeeded: 2 });
    expect(ledgerStatus(ledger, 'running').inProgressBy).toEqual({ waiting: 1, downloading: 0, staged: 0, applying: 0 });
    // Its start predates the record: the first move out of pending seen is taken as it.
    expect(ledger.startedAt).toBe(T(5));
    expect(ledger.policy).toBeUndefined();
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
