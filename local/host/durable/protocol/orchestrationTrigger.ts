import { FunctionInvocationError, messageOf } from '../../worker/FunctionInvoker';
import type { FailureDetails } from './failureDetails';
import type { OrchestratorState } from './orchestratorActions';

/** The schema this host speaks to durable-functions: V2 (nested compound actions). */
export const UPPER_SCHEMA_VERSION = 1;

/** durable-functions puts the orchestrator state after this label in the message of a failed episode. */
const OUT_OF_PROC_DATA = '$OutOfProcData$:';

/** What an orchestrator invocation is handed, as JSON text where the trigger carries JSON. */
export interface OrchestrationRequest {
  /** The execution's events so far, then this episode's, each as JSON text. */
  history: string[];
  /** JSON text of the instance input. */
  input: string | null;
  instanceId: string;
  parentInstanceId: string | null;
}

/** The orchestration trigger's payload (DurableOrchestrationBindingInfo) as JSON text. */
export function orchestrationTriggerPayload(request: OrchestrationRequest): string {
  return (
    `{"history":[${request.history.join(',')}],"input":${request.input ?? 'null'},"instanceId":${JSON.stringify(request.instanceId)},` +
    `"isReplaying":false,"parentInstanceId":${request.parentInstanceId ? JSON.stringify(request.parentInstanceId) : 'null'},` +
    `"upperSchemaVersion":${UPPER_SCHEMA_VERSION},"maximumShortTimerDuration":"6.00:00:00",` +
    `"longRunningTimerIntervalDuration":"3.00:00:00","defaultHttpAsyncRequestSleepTimeMillseconds":30000}`
  );
}

/** The user-facing message and the orchestrator state of a failed orchestrator invocation. */
export function parseOrchestrationFailure(thrown: unknown): {
  message: string;
  state?: OrchestratorState & { failureDetails?: FailureDetails };
} {
  const raw = messageOf(thrown instanceof FunctionInvocationError ? thrown.thrown : thrown);
  const at = raw.indexOf(OUT_OF_PROC_DATA);
  if (at < 0) return { message: raw };
  try {
    const state = JSON.parse(raw.slice(at + OUT_OF_PROC_DATA.length)) as OrchestratorState & { failureDetails?: FailureDetails };
    return { message: state.error ?? raw.slice(0, at).trim(), state };
  } catch {
    return { message: raw.slice(0, at).trim() };
  }
}
