/** The actions an orchestrator episode returns (durable-functions' IAction JSON). */
export enum ActionType {
  // Calls that schedule work and answer with its result.
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  // The end of this execution, and a new one with the given input.
  ContinueAsNew = 4,
  // Waits.
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  // Entities: a call answers, a signal does not.
  CallEntity = 7,
  // Durable HTTP: refused by this host (call HTTP from an activity).
  CallHttp = 8,
  SignalEntity = 9,
  // Composition of other actions (Task.any / Task.all), nested under schema version 1; 10 is unused.
  WhenAny = 11,
  WhenAll = 12,
  // Critical sections over entities: not supported by this host.
  LockEntities = 13,
  ReleaseEntities = 14,
}

export interface JsRetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface OrchestratorAction {
  actionType: ActionType;
  functionName?: string;
  /** CallActivity / ContinueAsNew: a string here is already JSON text (durable-functions' processInput). */
  input?: unknown;
  retryOptions?: JsRetryOptions;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  operation?: string;
  compoundActions?: OrchestratorAction[];
}

/** What an orchestrator invocation returned (OrchestratorState). */
export interface OrchestratorState {
  isDone: boolean;
  actions: OrchestratorAction[][];
  output?: unknown;
  customStatus?: unknown;
  error?: string;
  schemaVersion?: number;
}

/** All top-level actions since the execution started, in order (compound ones not yet opened). */
export function topLevelActions(state: OrchestratorState): OrchestratorAction[] {
  return (state.actions ?? []).flat();
}

/** The atomic actions of an action, depth-first: the order durable-functions numbers them in. */
export function atomicActions(action: OrchestratorAction): OrchestratorAction[] {
  if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
    return (action.compoundActions ?? []).flatMap(atomicActions);
  }
  return [action];
}

/**
 * durable-functions' numbering: every atomic action but a wait for an external event and a
 * continue-as-new takes the next event id, depth-first; the events that answer it name that id.
 */
export function takesEventId(action: OrchestratorAction): boolean {
  return action.actionType !== ActionType.WaitForExternalEvent && action.actionType !== ActionType.ContinueAsNew;
}

/** JSON text of an activity's or continue-as-new's input: durable-functions has already turned a string input into JSON text. */
export function processedInputText(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  return typeof input === 'string' ? input : JSON.stringify(input);
}
