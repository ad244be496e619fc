/**
 * The rollout domain: pure functions and plain data, no Azure, no I/O, no clock, no randomness.
 * Used by the HTTP API (validation) and by the orchestrators (planning, thresholds, summaries).
 */
export {
  APPROVAL_MODES,
  BODY_FIELD,
  DEFAULT_APPROVAL,
  DEFAULT_FAILURE_ACTION,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MIN_DEVICES,
  DEFAULT_SOAK_SECONDS,
  FAILURE_ACTIONS,
  SPEC_LIMITS,
  defaultDeviceTimeouts,
  defaultFailureThreshold,
  defaultWaveName,
  defaultWaves,
  parseRolloutSpec,
} from './rolloutSpec';
export type {
  ApprovalMode,
  DeviceTimeouts,
  FailureAction,
  FailureThreshold,
  FirmwareSpec,
  ParseRolloutSpecOptions,
  ParseRolloutSpecResult,
  RolloutRequest,
  RolloutSpec,
  SpecProblem,
  TargetSpec,
  WaveSpec,
} from './rolloutSpec';
export { specFingerprint } from './specFingerprint';
export { MAX_QUERY_CONDITION_LENGTH, queryConditionProblems } from './twinQueryCondition';
export {
  DEVICE_ID_PATTERN,
  DEVICE_ID_RULE,
  ROLLOUT_ID_PATTERN,
  ROLLOUT_ID_RULE,
  compareCodeUnits,
  isValidDeviceId,
  isValidRolloutId,
} from './identifiers';
export {
  MAX_BATCHES_PER_WAVE_EPISODE,
  MAX_BATCH_DEVICES,
  MAX_CHILDREN_PER_HISTORY,
  MAX_WAVES,
  historyBound,
  planWaves,
  waveFanOut,
} from './wavePlan';
export type { HistoryBound, PlannedWave, WaveFanOut } from './wavePlan';
export {
  DEVICE_ROLLOUT_STATES,
  MAX_TIMELINE_ENTRIES,
  applyReport,
  expirePhase,
  isTerminalDeviceState,
  markAccepted,
  phaseDeadline,
  phaseOf,
  phaseTimeoutSeconds,
  recordNote,
  settle,
  startTracking,
} from './deviceOutcome';
export type {
  DeviceError,
  DevicePhase,
  DeviceRolloutState,
  DeviceTracking,
  RolloutTarget,
  TerminalDeviceState,
  TimelineEntry,
  TwinReport,
} from './deviceOutcome';
export { evaluateThreshold, thresholdCounts } from './threshold';
export type { ThresholdCounts, ThresholdVerdict } from './threshold';
export {
  ROLLOUT_STATES,
  WAVE_STATES,
  addTotals,
  countDevices,
  finalState,
  isFinalRolloutState,
  moveDevice,
  plannedWaveStatus,
  rolloutStatus,
  totalsOf,
  waveStatus,
} from './rolloutStatus';
export type { FinalRolloutState, RolloutState, RolloutStatus, Totals, WaveState, WaveStatus } from './rolloutStatus';
export { batchInstanceId, parseBatchInstanceId, rolloutInstanceId, waveInstanceId } from './instanceIds';
export { DEVICE_SHARD_SIZE, MAX_DEVICE_SHARDS, fnv1a32, groupByShard, shardCountFor, shardOf } from './deviceShards';
export { addRows, effectiveRow, emptyShard, plannedRecord, rowOf, updateOf, updateRows } from './deviceRows';
export type { DeviceDetail, DeviceRecord, DeviceRow, DeviceShardState, DeviceUpdate } from './deviceRows';
export {
  RESYNC_GRACE_SECONDS,
  RETRY_FIRST_DELAY_SECONDS,
  RETRY_MAX_DELAY_SECONDS,
  THROTTLED_RETRY_FIRST_SECONDS,
  THROTTLED_RETRY_MAX_SECONDS,
  TWIN_READ_RETRY_SECONDS,
  afterSwitch,
  applyInvokeOutcome,
  applyReports,
  callingAgain,
  cancelBeforeStart,
  deferTwinRead,
  invokeFailed,
  isCalling,
  isPastDeadline,
  isRetryDue,
  isSettled,
  needsTwinRead,
  nextWakeUp,
  retryDelaySeconds,
  startTracked,
} from './trackedDevice';
export type { InvokeOutcome, InvokeState, TrackedDevice } from './trackedDevice';
export { BURST_SECONDS, MIN_RATE_SHARE, RECOVERY_SECONDS, hubPaceFor, initialBudget, reserve, throttled } from './hubBudget';
export type { BudgetGrant, BudgetRequest, HubBudgetState, HubPace } from './hubBudget';
export { applyMoves, finishWave, isWaveFinal, ledgerStatus, planLedger, setWaveState } from './rolloutLedger';
export type { DeviceMove, LedgerPlan, RolloutLedgerState } from './rolloutLedger';
export {
  CONTROL_OPERATIONS,
  MAX_CONTROL_LOG,
  applyCommand,
  controlProblem,
  displayState,
  initialControlState,
  reportPhase,
} from './rolloutControl';
export type { ControlCommand, ControlLogEntry, ControlOperation, PauseReason, PhaseReport, RolloutControlState } from './rolloutControl';
export {
  DEFAULT_CATALOG_PAGE,
  MAX_CATALOG_PAGE,
  catalogPage,
  compareNewestFirst,
  emptyCatalog,
  registerRollout,
  updateRolloutState,
} from './rolloutCatalog';
export type { CatalogCursor, CatalogEntry, RolloutCatalogState } from './rolloutCatalog';
export {
  STATUS_TIME_FIELD,
  eventReportOf,
  isProgressOnly,
  parseFirmwareUpdateReport,
  parseTwinReportEvent,
  parseTwinReportsEvent,
  reportedRolloutId,
  twinReportOf,
} from './twinReport';
export type { DeviceReport, EventReport, ParseResult } from './twinReport';
