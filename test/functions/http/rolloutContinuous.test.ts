jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { FIRMWARE, specOf } from '../support/fixtures';
import { rolloutHttpBed } from '../support/rolloutHttpBed';

const { api, view, post, create, started, planned } = rolloutHttpBed();

const AT = '2026-12-06T10:00:00.000Z';
const CONTINUOUS = { rescanMinutes: 5, until: '2027-01-01T00:00:00Z' };
const SPEC = specOf({ mode: 'continuous', continuous: CONTINUOUS });

describe('a continuous rollout through the HTTP API', () => {
  test('POST: continuous fields without mode continuous, and an until in the past → 400 naming each field', async () => {
    const base = { rolloutId: 'r1', firmware: FIRMWARE, target: { query: "tags.model = 'thermo-x'" } };
    const withoutMode = await create({ ...base, continuous: { rescanMinutes: 5 } });
    expect(withoutMode.status).toBe(400);
    expect(withoutMode.jsonBody).toMatchObject({ problems: [{ field: 'continuous', message: 'applies only with mode "continuous"' }] });
    const tooOften = await create({ ...base, mode: 'continuous', continuous: { rescanMinutes: 0.1 } });
    expect(tooOften.jsonBody).toMatchObject({
      problems: [{ field: 'continuous.rescanMinutes', message: expect.stringContaining('from 0.5 to 1440') }],
    });
    const past = await create({ ...base, mode: 'continuous', continuous: { until: '2020-01-01T00:00:00Z' } });
    expect(past.jsonBody).toMatchObject({ problems: [{ field: 'continuous.until', message: 'must be in the future' }] });
    expect(api.instances.size).toBe(0);
  });

  test('watching: mode, policy, the next rescan and what the continuous wave picked up; pause applies and shows at once', async () => {
    await planned(SPEC, AT);
    await api.signal('rolloutLedger', 'r1', 'continuousWave', { index: 1, added: 0, skipped: 0, rescanAt: null, at: AT });
    const rescanAt = '2026-12-06T10:05:00.000Z';
    await api.signal('rolloutLedger', 'r1', 'continuousWave', { index: 1, added: 3, skipped: 1, rescanAt, at: rescanAt });
    const nextRescanAt = '2026-12-06T10:10:00.000Z';
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'watching', wave: 1, nextRescanAt, at: rescanAt });
    const watching = await view();
    expect(watching).toMatchObject({
      state: 'watching',
      phase: 'watching',
      mode: 'continuous',
      policy: { continuous: CONTINUOUS },
      nextRescanAt,
      continuous: { wave: 1, pickedUp: 3, skipped: 1, rescans: 1, lastRescanAt: rescanAt },
    });
    expect(watching.waves.map((w) => [w.name, w.targeted])).toEqual([
      ['wave-1', 2],
      ['continuous', 3],
    ]);
    expect(watching.totals).toMatchObject({ targeted: 6, pending: 5, skipped: 1 });
    expect(watching.actions).toMatchObject({ pause: null, resume: 'the rollout is not paused', cancel: null });
    expect((await post('pause')).status).toBe(202);
    expect(await view()).toMatchObject({ state: 'paused', nextRescanAt });
  });

  test('a rollout of mode once: mode once, no continuous part', async () => {
    started(specOf({}), AT);
    expect(await view()).toMatchObject({ mode: 'once', nextRescanAt: null, continuous: null });
  });
});
