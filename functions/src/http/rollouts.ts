/**
 * POST /api/rollouts, GET /api/rollouts, GET /api/rollouts/{id}.
 *
 * Where the answers come from (all through the DurableClient):
 * - a rollout exists when its orchestration instance exists (instance id = rollout id); its input
 *   holds the spec's hash, which is how a re-POST is told from a conflicting one;
 * - GET /api/rollouts/{id} reads the rollout's ledger entity (counts per wave, updated by every
 *   device state change within seconds) and control entity (state, pending commands);
 * - GET /api/rollouts reads the catalog entity, newest first (filtered by its states).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { isRecord } from '../../../contracts/guards';
import type { DurableClient } from 'durable-functions';
import { statusOrNull } from '../durableClient';
import { firmwareSignatureProblems, firmwareTrustSettings } from '../firmwareSignature';
import { catalogEntity, controlEntity, ledgerEntity } from '../entities/contracts';
import { logEvent } from '../logging';
import { ORCHESTRATION } from '../orchestrators/contracts';
import type { RolloutCustomStatus, RolloutInput, RolloutOutput } from '../orchestrators/rollout';
import {
  BODY_FIELD,
  DEFAULT_CATALOG_PAGE,
  MAX_CATALOG_PAGE,
  ROLLOUT_STATES,
  approvalPolicy,
  catalogPage,
  controlActions,
  displayState,
  emptyCatalog,
  failureShare,
  hubPaceFor,
  initialControlState,
  isFinalRolloutState,
  ledgerStatus,
  parseRolloutSpec,
  retryActionProblem,
  rolloutAttempts,
  rolloutPolicy,
  rolloutStatus,
  specFingerprint,
  totalsOf,
  waveStatus,
} from '../rollout';
import type {
  CatalogCursor,
  CatalogEntry,
  ContinuousProgress,
  HubPace,
  RolloutCatalogState,
  RolloutControlState,
  RolloutLedgerState,
  RolloutLinks,
  RolloutPage,
  RolloutPolicy,
  RolloutSpec,
  RolloutState,
  RolloutStatus,
  RolloutView,
  SpecProblem,
} from '../rollout';
import { ALLOW_INSECURE_FIRMWARE_URI, InvalidSettingError, flagSetting, hubScaleSetting } from '../settings';
import { conflict, invalidAppSetting, json, notFound, validationFailed } from './apiResponses';
import { apiRoute } from './apiRoute';
import { rolloutLinks } from './links';
import { decodeToken, encodeToken, pageSize, rolloutIdOf } from './requestParameters';

export function specHash(spec: RolloutSpec): string {
  return createHash('sha256').update(specFingerprint(spec)).digest('hex');
}

// ---- POST /api/rollouts -----------------------------------------------------------------------

export async function createRollout(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const text = await request.text();
  if (text.trim() === '') return validationFailed([{ field: BODY_FIELD, message: 'is required: a JSON object describing the rollout' }]);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return validationFailed([
      { field: BODY_FIELD, message: `must be valid JSON (${error instanceof Error ? error.message : String(error)})` },
    ]);
  }
  const parsed = parseRolloutSpec(body, { allowInsecureFirmwareUri: flagSetting(ALLOW_INSECURE_FIRMWARE_URI), now: Date.now() });
  if (!parsed.ok) {
    logEvent(context, 'info', 'http.rolloutRejected', { problems: parsed.problems.length });
    return validationFailed(parsed.problems);
  }
  const rolloutId = parsed.spec.rolloutId ?? randomUUID();
  const spec: RolloutSpec = { ...parsed.spec, rolloutId };
  const hash = specHash(spec);
  const client = df.getClient(context);

  const existing = await statusOrNull(client, rolloutId);
  if (existing !== null) return sameOrConflict(request, rolloutId, hash, existing.input);

  let pace: HubPace | null;
  let signatureProblems: SpecProblem[];
  try {
    const scale = hubScaleSetting();
    pace = scale === null ? null : hubPaceFor(scale);
    signatureProblems = firmwareSignatureProblems(spec.firmware, firmwareTrustSettings(), new Date());
  } catch (error) {
    // The app is misconfigured, not the request: nothing is started, the operator is told what to fix.
    if (error instanceof InvalidSettingError) return invalidAppSetting(error.message);
    throw error;
  }
  if (signatureProblems.length > 0) {
    logEvent(context, 'info', 'http.rolloutRejected', { problems: signatureProblems.length });
    return validationFailed(signatureProblems);
  }
  const input: RolloutInput = { rolloutId, spec, specHash: hash, createdAt: new Date().toISOString(), pace };
  try {
    await client.startNew(ORCHESTRATION.rollout, { instanceId: rolloutId, input });
  } catch (error) {
    // Two POSTs of the same id at once: the other one started it.
    const raced = await statusOrNull(client, rolloutId);
    if (raced !== null) return sameOrConflict(request, rolloutId, hash, raced.input);
    throw error;
  }
  logEvent(context, 'info', 'http.rolloutCreated', { rolloutId, firmwareVersion: spec.firmware.version, waves: spec.waves.length });
  const links = rolloutLinks(request, rolloutId);
  return json(202, { id: rolloutId, created: true, links }, { location: links.status, 'retry-after': '5' });
}

function sameOrConflict(request: HttpRequest, rolloutId: string, hash: string, existingInput: unknown): HttpResponseInit {
  const existingHash = isRecord(existingInput) ? existingInput.specHash : undefined;
  const links = rolloutLinks(request, rolloutId);
  if (existingHash === hash) return json(200, { id: rolloutId, created: false, links }, { location: links.status });
  return conflict(`Rollout ${rolloutId} exists with a different spec; use another rolloutId or repeat the original request.`, {
    id: rolloutId,
    links,
  });
}

// ---- GET /api/rollouts ------------------------------------------------------------------------

const LIST_READ_CONCURRENCY = 10;

/** A rollout the catalog knows but the task hub no longer does (purged): its state, nothing counted, no spec. */
function catalogView(request: HttpRequest, entry: CatalogEntry): RolloutView {
  const firmware = { version: entry.firmwareVersion, uri: '', sha256: '', size: 0 };
  const status = rolloutStatus({
    id: entry.id,
    state: entry.state,
    firmware,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    waves: [],
  });
  const control = { ...initialControlState(), phase: entry.state };
  return rolloutView(status, { phase: entry.state, startedAt: null, policy: null, control, links: rolloutLinks(request, entry.id) });
}

function isCursor(value: unknown): value is CatalogCursor {
  return isRecord(value) && typeof value.createdAt === 'string' && typeof value.id === 'string';
}

function isRolloutState(value: string): value is RolloutState {
  return (ROLLOUT_STATES as readonly string[]).includes(value);
}

export async function listRollouts(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const stateParam = request.query.get('state');
  const state = stateParam === null || stateParam === '' ? null : stateParam;
  const top = pageSize(request, 'top', DEFAULT_CATALOG_PAGE, MAX_CATALOG_PAGE);
  const token = request.query.get('continuationToken');
  const cursor = token === null || token === '' ? undefined : decodeToken(token, isCursor);
  const problems = [
    ...(state === null || isRolloutState(state) ? [] : [{ field: 'state', message: `must be one of ${ROLLOUT_STATES.join(', ')}` }]),
    ...(typeof top === 'number' ? [] : [top]),
    ...(cursor === null ? [{ field: 'continuationToken', message: 'is not a token this API issued' }] : []),
  ];
  if (problems.length > 0 || typeof top !== 'number' || cursor === null) return validationFailed(problems);

  const client = df.getClient(context);
  const catalog = (await readEntity<RolloutCatalogState>(client, catalogEntity())) ?? emptyCatalog();
  // Filtered before paging, so a page is full and the cursor (an entry's position) stays valid. The state is the
  // catalog's (the orchestration's), which an item may show a moment ahead (a pause the orchestration has not acted on).
  const entries = state === null ? catalog.entries : catalog.entries.filter((entry) => entry.state === state);
  const page = catalogPage({ entries }, top, cursor);
  // Each rollout as GET /api/rollouts/{id} shows it (two entity reads each, a few at a time).
  const items: RolloutView[] = [];
  for (let i = 0; i < page.items.length; i += LIST_READ_CONCURRENCY) {
    const slice = page.items.slice(i, i + LIST_READ_CONCURRENCY);
    items.push(
      ...(await Promise.all(slice.map(async (entry) => (await loadRollout(client, request, entry.id)) ?? catalogView(request, entry)))),
    );
  }
  const body: RolloutPage = { items, continuationToken: page.next === null ? null : encodeToken(page.next) };
  return json(200, body);
}

// ---- GET /api/rollouts/{id} -------------------------------------------------------------------

export type { RolloutView };

export async function getRollout(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const id = rolloutIdOf(request);
  if (!id.ok) return id.response;
  const view = await loadRollout(df.getClient(context), request, id.id);
  return view === null ? notFound(`No rollout ${id.id}.`) : json(200, view);
}

/** The counts with what the control entity and the spec add to them. */
function rolloutView(
  status: RolloutStatus,
  parts: {
    phase: string;
    startedAt: string | null;
    policy: RolloutPolicy | null;
    control: RolloutControlState;
    links: RolloutLinks;
    error?: string;
    /** The ledger's, for a continuous rollout once it watches. */
    continuous?: ContinuousProgress;
    /** The attempts' counts; null before planning. */
    ledger?: RolloutLedgerState | null;
  },
): RolloutView {
  const { control } = parts;
  return {
    ...status,
    phase: parts.phase,
    startedAt: parts.startedAt,
    // A ledger planned before the approval's object form holds its mode string.
    policy: parts.policy === null ? null : { ...parts.policy, approval: approvalPolicy(parts.policy.approval) },
    nextWindowAt: control.nextWindowAt ?? null,
    approvalDeadline: control.approvalDeadline ?? null,
    mode: parts.policy?.continuous === undefined ? 'once' : 'continuous',
    nextRescanAt: control.nextRescanAt ?? null,
    continuous: parts.continuous ?? null,
    failureShare: failureShare(status.waves, control.wave),
    control: {
      command: control.command,
      pauseReason: control.pauseReason,
      wave: control.wave,
      approvedThrough: control.approvedThrough,
      log: control.log,
    },
    // What POST …/{operation} would answer 409 with, from the same rule.
    actions: { ...controlActions(control), retry: retryActionProblem(control, status.totals) },
    attempt: control.attempt ?? 1,
    attempts: rolloutAttempts(parts.ledger ?? null, status.totals, isFinalRolloutState(status.state)),
    ...(parts.error === undefined ? {} : { error: parts.error }),
    links: parts.links,
  };
}

/**
 * The rollout as GET /api/rollouts/{id} shows it; null when there is no such rollout.
 *
 * While it runs: the ledger's live counts (with the policy it was planned with) and the control
 * entity's state. Once it is over: the orchestration's output, whose totals are final and exact (the
 * ledger's last moves may still be on their way when the control entity already shows the final
 * state). A ledger planned by an older version has no policy: the orchestration's input has it.
 */
export async function loadRollout(client: DurableClient, request: HttpRequest, rolloutId: string): Promise<RolloutView | null> {
  const [ledger, controlState] = await Promise.all([
    readEntity<RolloutLedgerState>(client, ledgerEntity(rolloutId)),
    readEntity<RolloutControlState>(client, controlEntity(rolloutId)),
  ]);
  const control = controlState ?? initialControlState();
  const links = rolloutLinks(request, rolloutId);
  const startedAt = ledger?.startedAt ?? null;
  const finished = isFinalRolloutState(control.phase);
  if (ledger?.policy !== undefined && !finished) {
    const status = ledgerStatus(ledger, displayState(control), control.updatedAt ?? undefined);
    const { policy, continuous } = ledger;
    return rolloutView(status, { phase: control.phase, startedAt, policy, control, links, continuous, ledger });
  }
  // Over, or not planned yet (resolving its targets): ask the orchestration.
  const instance = await statusOrNull(client, rolloutId);
  if (instance === null) return null;
  const input = instance.input as RolloutInput | undefined;
  const custom = instance.customStatus as RolloutCustomStatus | undefined;
  const output = instance.output as RolloutOutput | undefined | null;
  const policy = ledger?.policy ?? (input?.spec === undefined ? null : rolloutPolicy(input.spec));
  const firmware = ledger?.firmware ?? input?.spec.firmware ?? { version: '', uri: '', sha256: '', size: 0 };
  const createdAt = ledger?.createdAt ?? input?.createdAt ?? instance.createdTime.toISOString();
  const updatedAt = instance.lastUpdatedTime.toISOString();
  if (isRecord(output) && typeof output.state === 'string' && Array.isArray(output.waves)) {
    const inWaves = output.waves.reduce((sum, wave) => sum + wave.skipped, 0);
    const outsideWaves = totalsOf({ skipped: Math.max(0, output.totals.skipped - inWaves) });
    // After a retry the output counts the last attempt's devices only; the ledger, final once that attempt's waves are, counts all.
    const status =
      ledger?.attempts !== undefined
        ? ledgerStatus(ledger, output.state, updatedAt)
        : rolloutStatus({ id: rolloutId, state: output.state, firmware, createdAt, updatedAt, waves: output.waves, outsideWaves });
    const { continuous } = ledger ?? {};
    return rolloutView(status, { phase: output.state, startedAt, policy, control, links, error: output.error, continuous, ledger });
  }
  if (ledger !== null) {
    // The control entity shows the end a moment before the output is readable.
    const status = ledgerStatus(ledger, displayState(control), control.updatedAt ?? undefined);
    return rolloutView(status, { phase: control.phase, startedAt, policy, control, links, continuous: ledger.continuous, ledger });
  }
  const broken = instance.runtimeStatus === 'Failed' || instance.runtimeStatus === 'Terminated';
  const waves = (input?.spec.waves ?? []).map((wave, index) =>
    waveStatus({ index, name: wave.name, percent: wave.percent }, broken ? 'aborted' : 'pending', totalsOf()),
  );
  const status = rolloutStatus({ id: rolloutId, state: broken ? 'aborted' : displayState(control), firmware, createdAt, updatedAt, waves });
  return rolloutView(status, {
    phase: broken ? 'aborted' : (custom?.phase ?? 'resolvingTargets'),
    startedAt,
    policy,
    control,
    links,
    ...(broken ? { error: `the rollout orchestration is ${instance.runtimeStatus}` } : {}),
  });
}

/** An entity's state, or null when it does not exist (or holds JSON null). */
export async function readEntity<T>(client: DurableClient, entity: df.EntityId): Promise<T | null> {
  const response = await client.readEntityState<T>(entity);
  return response.entityExists && response.entityState !== undefined && response.entityState !== null ? response.entityState : null;
}

apiRoute('createRollout', 'rollouts', ['POST'], createRollout);
apiRoute('listRollouts', 'rollouts', ['GET'], listRollouts);
apiRoute('getRollout', 'rollouts/{id}', ['GET'], getRollout);
