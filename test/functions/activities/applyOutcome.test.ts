jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { applyMethodOutcome } from '../../../functions/src/activities/invokeFirmwareUpdate';
import { deviceReport } from '../support/fixtures';

describe("what firmwareApply's answer means", () => {
  test('applying; current (applying or applied already) with its report; notStaged names what the device has', () => {
    expect(applyMethodOutcome(200, { status: 'applying', rolloutId: 'r1' }, 'r1')).toEqual({ kind: 'applying' });
    expect(applyMethodOutcome(200, { status: 'current', rolloutId: 'r1', state: deviceReport('applying') }, 'r1')).toMatchObject({
      kind: 'current',
      state: { status: 'applying', rolloutId: 'r1' },
    });
    const message = 'Nothing is staged for r1 2.1.0: the device has no update.';
    expect(applyMethodOutcome(409, { status: 'notStaged', rolloutId: null, message }, 'r1')).toEqual({ kind: 'notStaged', message });
  });

  test("another rollout's applying, a 400 and a 5xx mean what they mean for firmwareUpdate", () => {
    expect(applyMethodOutcome(200, { status: 'applying', rolloutId: 'r0' }, 'r1')).toMatchObject({
      kind: 'error',
      code: 'unexpectedAnswer',
    });
    expect(applyMethodOutcome(400, { status: 'invalid', field: 'fwVersion', message: 'fwVersion is required' }, 'r1')).toEqual({
      kind: 'invalid',
      field: 'fwVersion',
      message: 'fwVersion is required',
    });
    expect(applyMethodOutcome(500, {}, 'r1')).toMatchObject({ kind: 'error', retryable: true });
  });
});
