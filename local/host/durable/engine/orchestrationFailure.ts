import { FunctionInvocationError, messageOf } from '../../worker/FunctionInvoker';
import type { FailureDetails } from './historyEvents';
import type { OrchestratorState } from './orchestratorActions';

/** durable-functions puts the orchestrator state after this label in the message of a failed episode. */
const OUT_OF_PROC_DATA = '$OutOfProcData$:';

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
