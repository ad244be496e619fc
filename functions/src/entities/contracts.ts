/**
 * The durable entities by name, their ids and their operations' inputs: what orchestrators and
 * the HTTP API need to talk to them, without loading the entity functions.
 *
 *   rolloutControl@<rolloutId>        commands and phase (rollout/rolloutControl.ts)
 *   rolloutLedger@<rolloutId>         counts per wave (rollout/rolloutLedger.ts)
 *   deviceShard@<rolloutId>:s<n>      per-device records, hashed by device id (rollout/deviceRows.ts)
 *   rolloutCatalog@all                the list of rollouts (rollout/rolloutCatalog.ts)
 *   hubBudget@hub                     the hub-wide budget for starting devices (rollout/hubBudget.ts)
 */
import * as df from 'durable-functions';
import type {
  ApprovalTimeout,
  AttemptStart,
  BudgetRequest,
  CatalogEntry,
  ContinuousWaveUpdate,
  ControlOperation,
  DeviceMove,
  DeviceUpdate,
  LedgerPlan,
  PhaseReport,
  RetrySelection,
  RolloutState,
  Totals,
  WavePass,
  WaveState,
} from '../rollout';

export const ENTITY = {
  control: 'rolloutControl',
  ledger: 'rolloutLedger',
  shard: 'deviceShard',
  catalog: 'rolloutCatalog',
  hubBudget: 'hubBudget',
} as const;

export const CATALOG_KEY = 'all';
/** One budget per app: the app talks to one hub. */
export const HUB_BUDGET_KEY = 'hub';

export interface EntityOperations {
  rolloutControl: {
    /** Returns the RolloutControlState. */
    get: undefined;
    command: { operation: ControlOperation; at: string };
    phase: PhaseReport & { at: string };
    /** Returns the RolloutControlState after it (unchanged when an approve or cancel came first). */
    approvalTimeout: ApprovalTimeout & { at: string };
    /** A retry of the finished rollout begins: running again as attempt `attempt`. */
    retry: { attempt: number; selection: RetrySelection; at: string };
  };
  rolloutLedger: {
    get: undefined;
    plan: { plan: LedgerPlan; at: string };
    /** `pass`: with stageThenApply, the pass the wave runs. */
    waveState: { index: number; state: WaveState; at: string; pass?: WavePass };
    waveFinal: { index: number; state: WaveState; totals: Totals; at: string };
    moves: { moves: DeviceMove[]; at: string };
    /** A retry's devices back to pending (rollout/rolloutAttempts.ts); returns the Totals of the devices outside the attempt. */
    beginAttempt: AttemptStart;
    /** A continuous rollout's wave of devices picked up by rescans (rollout/continuousRollout.ts). */
    continuousWave: ContinuousWaveUpdate & { at: string };
  };
  deviceShard: {
    get: undefined;
    /** Planned devices, grouped by wave (null: skipped before planning): compact, as it travels in the rollout's history. */
    addRows: { groups: { wave: number | null; deviceIds: string[] }[]; at: string };
    /** addRows for a continuous rollout's rescan; returns the ids that were not known yet (string[]), which it added. */
    addNewRows: { groups: { wave: number | null; deviceIds: string[] }[]; at: string };
    /** A tracker episode's news about its devices in this shard. */
    update: { updates: DeviceUpdate[] };
    /** A retry of the finished rollout: the records it takes go back to pending; returns RetriedDevice[] (rollout/retryRows.ts). */
    retry: { attempt: number; selection: RetrySelection; at: string };
  };
  rolloutCatalog: {
    get: undefined;
    register: CatalogEntry;
    state: { id: string; state: RolloutState; at: string };
  };
  hubBudget: {
    /** Returns a BudgetGrant. */
    reserve: BudgetRequest;
    /** The hub answered 429 to one of the app's calls. */
    throttled: { at: number; ceiling: number };
  };
}

export type EntityName = keyof EntityOperations;
export type OperationName<E extends EntityName> = keyof EntityOperations[E] & string;
export type OperationInput<E extends EntityName, O extends OperationName<E>> = EntityOperations[E][O];

/** An entity id that knows which entity it names, so operations and inputs are checked. */
export type TypedEntityId<E extends EntityName> = df.EntityId & { readonly name: E };

function entityId<E extends EntityName>(name: E, key: string): TypedEntityId<E> {
  return new df.EntityId(name, key) as TypedEntityId<E>;
}

export function controlEntity(rolloutId: string): TypedEntityId<'rolloutControl'> {
  return entityId(ENTITY.control, rolloutId);
}

export function ledgerEntity(rolloutId: string): TypedEntityId<'rolloutLedger'> {
  return entityId(ENTITY.ledger, rolloutId);
}

export function shardEntity(rolloutId: string, shard: number): TypedEntityId<'deviceShard'> {
  return entityId(ENTITY.shard, `${rolloutId}:s${shard}`);
}

/** The rollout a shard key belongs to (rollout ids have no `:`). */
export function rolloutOfShardKey(key: string): string {
  return key.slice(0, key.indexOf(':'));
}

export function catalogEntity(): TypedEntityId<'rolloutCatalog'> {
  return entityId(ENTITY.catalog, CATALOG_KEY);
}

export function hubBudgetEntity(): TypedEntityId<'hubBudget'> {
  return entityId(ENTITY.hubBudget, HUB_BUDGET_KEY);
}
