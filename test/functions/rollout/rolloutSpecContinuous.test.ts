import { DEFAULT_RESCAN_MINUTES, parseRolloutSpec, rolloutPolicy, specFingerprint } from '../../../functions/src/rollout';
import type { RolloutSpec, SpecProblem } from '../../../functions/src/rollout';
import { bodyWith, validBody } from './fixtures';

const NOW = Date.parse('2026-12-06T00:00:00Z');

const parse = (fields: Record<string, unknown>) =>
  parseRolloutSpec(
    bodyWith((b) => Object.assign(b, fields)),
    { now: NOW },
  );
const problems = (fields: Record<string, unknown>): SpecProblem[] => {
  const result = parse(fields);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(fields)}`);
  return result.problems;
};
const specOf = (fields: Record<string, unknown>): RolloutSpec => {
  const result = parse(fields);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
};

describe('mode "continuous" in the rollout spec', () => {
  test('mode continuous alone: rescans every DEFAULT_RESCAN_MINUTES, no until; the policy shows it', () => {
    const spec = specOf({ mode: 'continuous' });
    expect(spec.continuous).toEqual({ rescanMinutes: DEFAULT_RESCAN_MINUTES });
    expect(rolloutPolicy(spec).continuous).toEqual({ rescanMinutes: DEFAULT_RESCAN_MINUTES });
    const full = specOf({ mode: 'continuous', continuous: { rescanMinutes: 0.5, until: '2026-12-31T23:00:00+01:00' } });
    expect(full.continuous).toEqual({ rescanMinutes: 0.5, until: '2026-12-31T23:00:00+01:00' });
  });

  test('mode once (the default): no continuous part, and the fingerprint is what it was without the feature', () => {
    const parsed = parseRolloutSpec(validBody());
    if (!parsed.ok) throw new Error('the valid body was rejected');
    const once = specOf({ mode: 'once' });
    expect('continuous' in once).toBe(false);
    expect(specFingerprint(once)).toBe(specFingerprint(parsed.spec));
    expect(specFingerprint(once)).not.toContain('"mode"');
    // Continuous changes the hash: the same rolloutId in the other mode is a conflict.
    expect(specFingerprint(specOf({ mode: 'continuous' }))).not.toBe(specFingerprint(once));
  });

  const BAD: [string, Record<string, unknown>, string, RegExp][] = [
    ['an unknown mode', { mode: 'forever' }, 'mode', /one of "once", "continuous"/],
    ['continuous fields without mode continuous', { continuous: { rescanMinutes: 5 } }, 'continuous', /only with mode "continuous"/],
    ['continuous fields with mode once', { mode: 'once', continuous: {} }, 'continuous', /only with mode "continuous"/],
    [
      'a rescan below the minimum',
      { mode: 'continuous', continuous: { rescanMinutes: 0.4 } },
      'continuous.rescanMinutes',
      /from 0.5 to 1440/,
    ],
    ['a rescan above a day', { mode: 'continuous', continuous: { rescanMinutes: 1441 } }, 'continuous.rescanMinutes', /from 0.5 to 1440/],
    ['a rescan that is not a number', { mode: 'continuous', continuous: { rescanMinutes: '5' } }, 'continuous.rescanMinutes', /number/],
    ['until without an offset', { mode: 'continuous', continuous: { until: '2026-12-31T00:00:00' } }, 'continuous.until', /ISO 8601/],
    ['until in the past', { mode: 'continuous', continuous: { until: '2026-12-05T00:00:00Z' } }, 'continuous.until', /in the future/],
    [
      'until not after startAt',
      { mode: 'continuous', continuous: { until: '2026-12-24T00:00:00Z' }, schedule: { startAt: '2026-12-24T01:00:00+01:00' } },
      'continuous.until',
      /after schedule.startAt/,
    ],
    ['an unknown continuous field', { mode: 'continuous', continuous: { rescanSeconds: 30 } }, 'continuous.rescanSeconds', /unknown field/],
    ['continuous not an object', { mode: 'continuous', continuous: true }, 'continuous', /must be an object/],
  ];
  test.each(BAD)('%s is a 400 naming the field', (_name, fields, field, message) => {
    const found = problems(fields);
    expect(found).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  test('until equal to startAt is rejected, a minute later accepted', () => {
    const schedule = { startAt: '2026-12-24T00:00:00Z' };
    expect(problems({ mode: 'continuous', continuous: { until: '2026-12-24T01:00:00+01:00' }, schedule })).toEqual([
      { field: 'continuous.until', message: 'must be after schedule.startAt' },
    ]);
    expect(specOf({ mode: 'continuous', continuous: { until: '2026-12-24T00:01:00Z' }, schedule }).continuous?.until).toBe(
      '2026-12-24T00:01:00Z',
    );
  });
});
