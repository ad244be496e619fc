jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { FIRMWARE, specOf } from '../support/fixtures';
import { rolloutHttpBed } from '../support/rolloutHttpBed';

const { api, view, post, create, started, planned } = rolloutHttpBed();

const AT = '2026-03-28T12:00:00.000Z';
const WINDOW = { days: ['sat', 'sun'], from: '01:00', to: '05:00', timeZone: 'Europe/Berlin' };
const SCHEDULE = { startAt: '2026-03-28T10:00:00+01:00', windows: [WINDOW] };
const SPEC = specOf({ schedule: SCHEDULE });

describe('a rollout schedule through the HTTP API', () => {
  test('POST: overlapping windows, an unknown zone and a startAt over a year ahead → 400 naming each field', async () => {
    const startAt = new Date(Date.now() + 400 * 24 * 3600 * 1000).toISOString();
    const schedule = { startAt, windows: [WINDOW, { ...WINDOW, days: ['sun'], from: '04:00', to: '06:00' }] };
    const base = { rolloutId: 'r1', firmware: FIRMWARE, target: { query: "tags.model = 'thermo-x'" } };
    const overlapping = await create({ ...base, schedule });
    expect(overlapping.status).toBe(400);
    expect(JSON.stringify(overlapping.jsonBody)).toContain('"field":"schedule.windows[1]"');
    const unknownZone = await create({ ...base, schedule: { windows: [{ ...WINDOW, timeZone: 'Mars/Olympus' }] } });
    expect(JSON.stringify(unknownZone.jsonBody)).toContain('"field":"schedule.windows[0].timeZone"');
    const farAhead = await create({ ...base, schedule: { startAt } });
    expect(farAhead.jsonBody).toMatchObject({ problems: [{ field: 'schedule.startAt', message: 'must be at most 366 days ahead' }] });
    expect(api.instances.size).toBe(0);
  });

  test('scheduled (not planned yet): the schedule in the policy from the spec; pause and cancel apply, approve and retry do not', async () => {
    started(SPEC, AT);
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'scheduled', wave: null, at: AT });
    const scheduled = await view();
    expect(scheduled).toMatchObject({ state: 'scheduled', policy: { schedule: SCHEDULE }, nextWindowAt: null });
    expect(scheduled.actions).toEqual({
      pause: null,
      resume: 'the rollout is not paused',
      approve: 'the rollout is not awaiting approval',
      cancel: null,
      retry: 'the rollout is scheduled: only a finished rollout (completed, completedWithFailures, aborted or canceled) can be retried',
    });
    expect((await post('pause')).status).toBe(202);
    expect((await view()).state).toBe('paused');
  });

  test('waiting for a window: the next window from the phase report, gone once running', async () => {
    await planned(SPEC, AT);
    const nextWindowAt = '2026-03-29T00:00:00.000Z';
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'waitingForWindow', wave: 0, nextWindowAt, at: AT });
    expect(await view()).toMatchObject({
      state: 'waitingForWindow',
      phase: 'waitingForWindow',
      nextWindowAt,
      policy: { schedule: SCHEDULE },
    });
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'running', wave: 0, at: nextWindowAt });
    expect(await view()).toMatchObject({ state: 'running', nextWindowAt: null });
  });
});
