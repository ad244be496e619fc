import type { FailureDetails } from '../protocol/failureDetails';
import type { TaskKind } from '../protocol/historyEvents';
import type { JsRetryOptions } from '../protocol/orchestratorActions';

/** A task under a retry policy, as the engine tracks it between attempts. */
export interface RetryState {
  kind: TaskKind;
  name: string;
  /** JSON text of the input, or null. */
  input: string | null;
  /** Sub-orchestrations: the instance id the caller chose, if any. */
  instanceId?: string;
  version?: string;
  options: JsRetryOptions;
  /** The attempt (1-based) that runs or last failed. */
  attempt: number;
  firstAttemptAt: number;
  /** What the pending id is: the running attempt, or the timer before the next one. */
  phase: 'attempt' | 'timer';
  lastFailure?: FailureDetails;
  /** The retry timeout passed: remaining attempts fail without running. */
  timedOut?: boolean;
}

/**
 * How long to wait after failed attempt `attempt` (1-based), as DurableTask's RetryInterceptor
 * computes it: first interval × coefficient^(attempt-1), capped by the maximum interval; undefined
 * once the retry timeout has passed.
 */
export function retryDelayMs(options: JsRetryOptions, attempt: number, firstAttemptAt: number, now: number): number | undefined {
  const timeout = options.retryTimeoutInMilliseconds;
  if (timeout !== undefined && timeout > 0 && timeout < Number.MAX_SAFE_INTEGER && now >= firstAttemptAt + timeout) return undefined;
  const delay = options.firstRetryIntervalInMilliseconds * (options.backoffCoefficient ?? 1) ** (attempt - 1);
  const max = options.maxRetryIntervalInMilliseconds;
  return max !== undefined && max > 0 ? Math.min(delay, max) : delay;
}

/** After a failed attempt durable-functions expects one retry timer, even after the last attempt. */
export function attemptsRemain(state: RetryState): boolean {
  return state.attempt < state.options.maxNumberOfAttempts;
}
