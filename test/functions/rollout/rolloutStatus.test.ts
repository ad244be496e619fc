import fc from 'fast-check';
import {
  DEVICE_ROLLOUT_STATES,
  ROLLOUT_STATES,
  WAVE_STATES,
  addTotals,
  countDevices,
  finalState,
  isFinalRolloutState,
  moveDevice,
  planWaves,
  plannedWaveStatus,
  rolloutStatus,
  totalsOf,
  waveStatus,
} from '../../../functions/src/rollout';
import type { DeviceRolloutState, Totals } from '../../../functions/src/rollout';

const stateArb = fc.constantFrom(...DEVICE_ROLLOUT_STATES);
const totalsArb = fc.array(stateArb, { maxLength: 60 }).map(countDevices);
const firmware = { version: '2.1.0', uri: 'https://fw.example.com/a.bin', sha256: 'a'.repeat(64), size: 10 };

describe('totals', () => {
  test('totalsOf fills missing states with 0 and targeted is the sum', () => {
    expect(totalsOf({ succeeded: 3, failed: 1 })).toEqual({
      targeted: 4,
      pending: 0,
      inProgress: 0,
      succeeded: 3,
      failed: 1,
      timedOut: 0,
      skipped: 0,
      canceled: 0,
    });
    expect(Object.keys(totalsOf())).toEqual([
      'targeted',
      'pending',
      'inProgress',
      'succeeded',
      'failed',
      'timedOut',
      'skipped',
      'canceled',
    ]);
  });

  test('countDevices counts each state', () => {
    expect(countDevices(['pending', 'failed', 'pending', 'skipped'])).toEqual(totalsOf({ pending: 2, failed: 1, skipped: 1 }));
  });

  test('adding totals equals counting the union, and targeted stays the sum', () => {
    fc.assert(
      fc.property(fc.array(fc.array(stateArb, { maxLength: 30 }), { maxLength: 6 }), (groups) => {
        const sum = addTotals(...groups.map(countDevices));
        expect(sum).toEqual(countDevices(groups.flat()));
        const { targeted, ...states } = sum;
        expect(targeted).toBe(Object.values(states).reduce((a, b) => a + b, 0));
      }),
    );
  });

  test('moveDevice moves one device and keeps targeted', () => {
    fc.assert(
      fc.property(totalsArb, stateArb, stateArb, (totals, from, to) => {
        if (totals[from] === 0) {
          expect(() => moveDevice(totals, from, to)).toThrow(RangeError);
          return;
        }
        const moved = moveDevice(totals, from, to);
        expect(moved.targeted).toBe(totals.targeted);
        if (from !== to) {
          expect(moved[from]).toBe(totals[from] - 1);
          expect(moved[to]).toBe(totals[to] + 1);
        } else expect(moved).toEqual(totals);
      }),
    );
  });

  test('following a wave device by device', () => {
    const steps: Array<[DeviceRolloutState, DeviceRolloutState]> = [
      ['pending', 'inProgress'],
      ['pending', 'inProgress'],
      ['inProgress', 'succeeded'],
      ['inProgress', 'timedOut'],
      ['pending', 'canceled'],
    ];
    const final = steps.reduce((totals, [from, to]) => moveDevice(totals, from, to), totalsOf({ pending: 3 }));
    expect(final).toEqual(totalsOf({ succeeded: 1, timedOut: 1, canceled: 1 }));
  });
});

describe('final state', () => {
  test.each([
    ['finished', totalsOf({ succeeded: 10, skipped: 2 }), 'completed'],
    ['finished', totalsOf(), 'completed'],
    ['finished', totalsOf({ succeeded: 10, failed: 1 }), 'completedWithFailures'],
    ['finished', totalsOf({ succeeded: 10, timedOut: 1 }), 'completedWithFailures'],
    ['aborted', totalsOf({ succeeded: 10 }), 'aborted'],
    ['canceled', totalsOf({ succeeded: 1, canceled: 9 }), 'canceled'],
  ] as const)('%s with %j → %s', (ending, totals, state) => {
    expect(finalState(ending, totals)).toBe(state);
    expect(isFinalRolloutState(finalState(ending, totals))).toBe(true);
  });

  test('running, paused, awaitingApproval, scheduled, waitingForWindow and watching are not final', () => {
    expect(ROLLOUT_STATES.filter((s) => !isFinalRolloutState(s))).toEqual([
      'running',
      'paused',
      'awaitingApproval',
      'scheduled',
      'waitingForWindow',
      'watching',
    ]);
    expect(WAVE_STATES).toEqual(expect.arrayContaining(['pending', 'soaking', ...ROLLOUT_STATES]));
  });
});

describe('rolloutStatus', () => {
  test('serialises to the shape of GET /api/rollouts/{id}', () => {
    const plan = planWaves(
      ['d1', 'd2', 'd3', 'd4'],
      [
        { name: 'canary', percent: 25 },
        { name: 'rest', percent: 100 },
      ],
    );
    const canary = waveStatus(plan[0], 'completed', totalsOf({ succeeded: 1 }));
    const rest = plannedWaveStatus(plan[1]);
    const status = rolloutStatus({
      id: 'fw-2-1',
      state: 'awaitingApproval',
      firmware,
      createdAt: '2025-01-01T12:00:00.000Z',
      updatedAt: '2025-01-01T12:05:00.000Z',
      waves: [canary, rest],
      outsideWaves: totalsOf({ skipped: 2 }),
    });
    expect(JSON.parse(JSON.stringify(status))).toEqual({
      id: 'fw-2-1',
      state: 'awaitingApproval',
      firmware,
      createdAt: '2025-01-01T12:00:00.000Z',
      updatedAt: '2025-01-01T12:05:00.000Z',
      totals: { targeted: 6, pending: 3, inProgress: 0, succeeded: 1, failed: 0, timedOut: 0, skipped: 2, canceled: 0 },
      inProgressBy: { waiting: 0, downloading: 0, staged: 0, applying: 0 },
      waves: [
        {
          index: 0,
          name: 'canary',
          percent: 25,
          state: 'completed',
          targeted: 1,
          pending: 0,
          inProgress: 0,
          succeeded: 1,
          failed: 0,
          timedOut: 0,
          skipped: 0,
          canceled: 0,
          inProgressBy: { waiting: 0, downloading: 0, staged: 0, applying: 0 },
        },
        {
          index: 1,
          name: 'rest',
          percent: 100,
          state: 'pending',
          targeted: 3,
          pending: 3,
          inProgress: 0,
          succeeded: 0,
          failed: 0,
          timedOut: 0,
          skipped: 0,
          canceled: 0,
          inProgressBy: { waiting: 0, downloading: 0, staged: 0, applying: 0 },
        },
      ],
    });
  });

  test('totals are the sum of the waves and the devices outside them', () => {
    fc.assert(
      fc.property(fc.array(totalsArb, { maxLength: 20 }), fc.option(totalsArb, { nil: undefined }), (waveTotals, outside) => {
        const waves = waveTotals.map((totals: Totals, index) => waveStatus({ index, name: `w${index}`, percent: 100 }, 'running', totals));
        const status = rolloutStatus({
          id: 'r',
          state: 'running',
          firmware,
          createdAt: 't0',
          updatedAt: 't1',
          waves,
          ...(outside ? { outsideWaves: outside } : {}),
        });
        expect(status.totals).toEqual(addTotals(...waveTotals, outside ?? totalsOf()));
        expect(status.waves).toEqual(waves);
      }),
    );
  });

  test('the stages of the devices in progress: per wave, summed over the waves, always adding up to inProgress', () => {
    const wave = { index: 0, name: 'w', percent: 100 };
    // Counted without stages (the orchestration's wave results): all waiting; none in progress, all zeros.
    expect(waveStatus(wave, 'running', totalsOf({ inProgress: 3 })).inProgressBy).toEqual({
      waiting: 3,
      downloading: 0,
      staged: 0,
      applying: 0,
    });
    expect(waveStatus(wave, 'completed', totalsOf({ succeeded: 3 })).inProgressBy).toEqual({
      waiting: 0,
      downloading: 0,
      staged: 0,
      applying: 0,
    });
    const staged = {
      ...waveStatus(wave, 'running', totalsOf({ inProgress: 3 })),
      inProgressBy: { waiting: 0, downloading: 1, applying: 2 },
    };
    // A wave as a version before the stages stored it.
    const { inProgressBy: _omitted, ...older } = waveStatus({ ...wave, index: 1 }, 'running', totalsOf({ inProgress: 4 }));
    const status = rolloutStatus({ id: 'r', state: 'running', firmware, createdAt: 't0', updatedAt: 't1', waves: [staged, older] });
    expect(status.inProgressBy).toEqual({ waiting: 4, downloading: 1, staged: 0, applying: 2 });
    expect(status.waves[1].inProgressBy).toEqual({ waiting: 4, downloading: 0, staged: 0, applying: 0 });
    expect(status.totals.inProgress).toBe(7);
  });
});
