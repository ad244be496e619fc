/**
 * The rollout domain: pure functions and plain data, no Azure, no I/O, no clock, no randomness.
 * Used by the HTTP API (validation) and by the orchestrators (planning, thresholds, summaries).
 * Every module's exports are the domain's API, except percent.ts (basis-point arithmetic the modules share).
 */
export * from './rolloutSpec';
export * from './specFingerprint';
export * from './twinQueryCondition';
export * from './identifiers';
export * from './wavePlan';
export * from './deviceOutcome';
export * from './threshold';
export * from './rolloutStatus';
export * from './instanceIds';
export * from './deviceShards';
export * from './deviceRows';
export * from './trackedDevice';
export * from './hubBudget';
export * from './rolloutLedger';
export * from './rolloutControl';
export * from './rolloutCatalog';
export * from './twinReport';
export * from './maintenanceWindows';
export * from './retrySelection';
export * from './retryRows';
export * from './rolloutAttempts';
export * from './continuousRollout';
export * from './stageBarrier';
