import { createHash } from 'node:crypto';
import { SPEC_LIMITS, parseRolloutSpec, specFingerprint } from '../../../functions/src/rollout';
import type { RolloutSpec } from '../../../functions/src/rollout';
import { bodyWith, validBody } from './fixtures';

const parse = (stageThenApply: unknown) => parseRolloutSpec(bodyWith((b) => (b.stageThenApply = stageThenApply)));
const specOf = (stageThenApply: unknown): RolloutSpec => {
  const result = parse(stageThenApply);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
};
const problems = (stageThenApply: unknown) => {
  const result = parse(stageThenApply);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(stageThenApply)}`);
  return result.problems;
};
const sha256 = (spec: RolloutSpec) => createHash('sha256').update(specFingerprint(spec)).digest('hex');

describe('stageThenApply in the rollout spec', () => {
  test('the object form is kept; stagedPercent defaults to 100; true stands for 100 % within a day', () => {
    expect(specOf({ stagedPercent: 80, deadlineMinutes: 90 }).stageThenApply).toEqual({ stagedPercent: 80, deadlineMinutes: 90 });
    expect(specOf({ deadlineMinutes: 0.5 }).stageThenApply).toEqual({ stagedPercent: 100, deadlineMinutes: 0.5 });
    expect(specOf(true).stageThenApply).toEqual({ stagedPercent: 100, deadlineMinutes: 1440 });
    // The shorthand and what it stands for are the same rollout.
    expect(specFingerprint(specOf(true))).toBe(specFingerprint(specOf({ stagedPercent: 100, deadlineMinutes: 1440 })));
  });

  test('absent: none in the spec, and the spec hash is the one pinned before staging existed', () => {
    const parsed = parseRolloutSpec(validBody());
    if (!parsed.ok) throw new Error('the valid body was rejected');
    expect('stageThenApply' in parsed.spec).toBe(false);
    expect(specFingerprint(parsed.spec)).not.toContain('stageThenApply');
    expect(sha256(specOf({ deadlineMinutes: 60 }))).not.toBe(sha256(parsed.spec));
    expect(sha256(specOf({ deadlineMinutes: 60 }))).not.toBe(sha256(specOf({ deadlineMinutes: 61 })));
  });

  test.each<[string, unknown, string, RegExp]>([
    ['false', false, 'stageThenApply', /must be true or an object/],
    ['a string', 'yes', 'stageThenApply', /must be true or an object/],
    ['no deadline', { stagedPercent: 50 }, 'stageThenApply.deadlineMinutes', /is required/],
    ['deadline 0', { deadlineMinutes: 0 }, 'stageThenApply.deadlineMinutes', /greater than 0/],
    ['deadline too long', { deadlineMinutes: SPEC_LIMITS.stageDeadlineMinutes.max + 1 }, 'stageThenApply.deadlineMinutes', /at most 10080/],
    ['percent 0', { stagedPercent: 0, deadlineMinutes: 5 }, 'stageThenApply.stagedPercent', /from 0.01 to 100/],
    ['percent above 100', { stagedPercent: 101, deadlineMinutes: 5 }, 'stageThenApply.stagedPercent', /from 0.01 to 100/],
    ['percent 3 decimals', { stagedPercent: 50.125, deadlineMinutes: 5 }, 'stageThenApply.stagedPercent', /two decimals/],
    ['unknown field', { deadlineMinutes: 5, windowOnly: true }, 'stageThenApply.windowOnly', /unknown field/],
  ])('400 naming the field: %s', (_name, value, field, message) => {
    const found = problems(value);
    expect(found).toEqual([{ field, message: expect.stringMatching(message) }]);
  });
});
