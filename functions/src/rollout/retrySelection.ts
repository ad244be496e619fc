/**
 * Retrying a finished rollout (POST /api/rollouts/{id}/retry): which devices a retry takes, when a
 * rollout may be retried, and the request body's rules.
 *
 * A retry is a new attempt of the same rollout orchestration (attempt 1 is the original run) over
 * the devices in the chosen states, through the same waves and policies. By default it takes the
 * failed and timedOut devices; canceled ones (never started, or stopped by a cancel or an abort) only
 * when `states` names them, since a cancel is usually meant. `retryProblem` is the one source of
 * "may it be retried now?": the API's 409 and the rollout's `actions.retry` both come from it.
 */
import { DEFAULT_RETRY_STATES, DEVICE_ROLLOUT_STATES, RETRYABLE_DEVICE_STATES } from '../../../contracts/rolloutApi';
import type { DeviceError, DeviceRolloutState, RetryableDeviceState, RetrySelection, Totals } from '../../../contracts/rolloutApi';
import { isRecord } from '../../../contracts/guards';
import type { RolloutControlState } from './rolloutControl';
import { displayState } from './rolloutControl';
import type { SpecProblem } from './rolloutSpec';
import { BODY_FIELD } from './rolloutSpec';
import { isFinalRolloutState } from './rolloutStatus';

/** Attempts a rollout may have in all: each keeps its totals in the ledger. */
export const MAX_ROLLOUT_ATTEMPTS = 20;
export const MAX_RETRY_ERROR_CODES = 20;

/** Error codes are short identifiers (hashMismatch, versionMismatch, …): anything else is a mistake, not a filter that matches nothing. */
export const ERROR_CODE_RULE = '1-64 printable ASCII characters';
export function isErrorCode(value: unknown): value is string {
  return typeof value === 'string' && /^[\x20-\x7e]{1,64}$/.test(value);
}

export function defaultRetrySelection(): RetrySelection {
  return { states: [...DEFAULT_RETRY_STATES], errorCodes: null };
}

const FIELDS = ['states', 'errorCodes'];

/** The request body (undefined: none) as a selection, or every problem with the field it is in. */
export function parseRetryRequest(body: unknown): { ok: true; selection: RetrySelection } | { ok: false; problems: SpecProblem[] } {
  if (body === undefined) return { ok: true, selection: defaultRetrySelection() };
  if (!isRecord(body) || Array.isArray(body)) return { ok: false, problems: [{ field: BODY_FIELD, message: 'must be a JSON object' }] };
  const problems: SpecProblem[] = Object.keys(body)
    .filter((key) => !FIELDS.includes(key))
    .map((key) => ({ field: key, message: `is not a retry field (${FIELDS.join(', ')})` }));
  const states = body.states === undefined ? [...DEFAULT_RETRY_STATES] : parseStates(body.states, problems);
  const errorCodes = body.errorCodes === undefined ? null : parseErrorCodes(body.errorCodes, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, selection: { states, errorCodes } };
}

function parseStates(value: unknown, problems: SpecProblem[]): RetryableDeviceState[] {
  const rule = `one of ${RETRYABLE_DEVICE_STATES.join(', ')}`;
  if (!Array.isArray(value) || value.length === 0) {
    problems.push({ field: 'states', message: `must be a non-empty array of device states, each ${rule}` });
    return [];
  }
  const states: RetryableDeviceState[] = [];
  value.forEach((state: unknown, i) => {
    const field = `states[${i}]`;
    if ((RETRYABLE_DEVICE_STATES as readonly unknown[]).includes(state)) {
      if (states.includes(state as RetryableDeviceState)) problems.push({ field, message: `lists ${String(state)} twice` });
      else states.push(state as RetryableDeviceState);
    } else if ((DEVICE_ROLLOUT_STATES as readonly unknown[]).includes(state)) {
      problems.push({ field, message: `${String(state)} devices are not retried: must be ${rule}` });
    } else {
      problems.push({ field, message: `must be ${rule}, not ${JSON.stringify(state)}` });
    }
  });
  return states;
}

function parseErrorCodes(value: unknown, problems: SpecProblem[]): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_RETRY_ERROR_CODES) {
    problems.push({
      field: 'errorCodes',
      message: `must be an array of 1 to ${MAX_RETRY_ERROR_CODES} error codes (leave it out for any error)`,
    });
    return [];
  }
  value.forEach((code: unknown, i) => {
    if (!isErrorCode(code)) problems.push({ field: `errorCodes[${i}]`, message: `must be an error code: ${ERROR_CODE_RULE}` });
  });
  return [...new Set(value as string[])];
}

/** Whether a device that ended `state` with `error` is one the selection retries. */
export function isRetried(selection: RetrySelection, state: DeviceRolloutState, error: DeviceError | null): boolean {
  if (!(selection.states as readonly DeviceRolloutState[]).includes(state)) return false;
  return selection.errorCodes === null || (error !== null && selection.errorCodes.includes(error.code));
}

export function describeSelection(selection: RetrySelection): string {
  const codes = selection.errorCodes === null ? '' : ` with error code ${selection.errorCodes.join(' or ')}`;
  return `${selection.states.join(' or ')}${codes}`;
}

/** Why the rollout cannot be retried now; null when it can (whether any device matches is asked of its shards). */
export function retryProblem(control: RolloutControlState): string | null {
  if (!isFinalRolloutState(control.phase)) {
    return `the rollout is ${displayState(control)}: only a finished rollout (completed, completedWithFailures, aborted or canceled) can be retried`;
  }
  const attempt = control.attempt ?? 1;
  if (attempt >= MAX_ROLLOUT_ATTEMPTS) return `the rollout has had ${attempt} attempts, the most it may have`;
  return null;
}

/** `actions.retry`: retryProblem, or for a rollout with no failed or timedOut device, that (what an empty POST would hear). */
export function retryActionProblem(control: RolloutControlState, totals: Totals): string | null {
  const problem = retryProblem(control);
  if (problem !== null) return problem;
  return totals.failed + totals.timedOut === 0 ? `no device is ${describeSelection(defaultRetrySelection())}` : null;
}

/** A selection as an entity operation carries it (checked, since entity inputs are untyped JSON). */
export function isRetrySelection(value: unknown): value is RetrySelection {
  return (
    isRecord(value) &&
    Array.isArray(value.states) &&
    value.states.every((state) => (RETRYABLE_DEVICE_STATES as readonly unknown[]).includes(state)) &&
    (value.errorCodes === null || (Array.isArray(value.errorCodes) && value.errorCodes.every(isErrorCode)))
  );
}

/** The input of the retry operations (control entity, device shards): a selection, the attempt it begins and when. */
export function isRetryOperation(value: unknown): value is { attempt: number; selection: RetrySelection; at: string } {
  return (
    isRecord(value) &&
    Number.isSafeInteger(value.attempt) &&
    (value.attempt as number) >= 2 &&
    isRetrySelection(value.selection) &&
    typeof value.at === 'string'
  );
}
