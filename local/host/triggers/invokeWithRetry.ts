import type { HostFunction } from '../catalog/HostFunction';
import type { RpcDuration } from '../worker/coreTypes';
import { messageOf, type FunctionInvoker, type InvocationInput } from '../worker/FunctionInvoker';

/**
 * Invokes a function under its retry policy (app.*({ retry })), as the Functions host does for
 * Event Hub and timer triggers: fixed delay or exponential backoff, retryContext on each retry.
 * Resolves true when an attempt succeeded, false when every attempt failed.
 */
export async function invokeWithRetry(
  invoker: FunctionInvoker,
  fn: HostFunction,
  input: InvocationInput,
  isStopping: () => boolean,
): Promise<boolean> {
  const policy = fn.retryOptions;
  const maxRetries = policy?.maxRetryCount ?? 0;
  for (let retry = 0; ; retry++) {
    try {
      await invoker.invoke(fn, input);
      return true;
    } catch (error) {
      if (!policy || (maxRetries >= 0 && retry >= maxRetries) || isStopping()) return false;
      await new Promise((resolve) => setTimeout(resolve, retryDelay(policy, retry)));
      input = { ...input, retryContext: { retryCount: retry + 1, maxRetryCount: maxRetries, exception: { message: messageOf(error) } } };
    }
  }
}

function retryDelay(policy: NonNullable<HostFunction['retryOptions']>, retry: number): number {
  if (policy.retryStrategy === 'exponentialBackoff') {
    const min = durationMs(policy.minimumInterval);
    const max = durationMs(policy.maximumInterval) || Number.POSITIVE_INFINITY;
    return Math.min(max, min * 2 ** retry);
  }
  return durationMs(policy.delayInterval);
}

function durationMs(duration: RpcDuration | undefined): number {
  return (duration?.seconds ?? 0) * 1000 + Math.round((duration?.nanos ?? 0) / 1e6);
}
