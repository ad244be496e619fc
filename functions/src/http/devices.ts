/**
 * GET /api/rollouts/{id}/devices?state=&errorCode=&top=&continuationToken= and
 * GET /api/rollouts/{id}/devices/{deviceId}.
 *
 * The listing reads the rollout's device shards (entities of ≈1000 rows each, by hash of the
 * device id) in order; a page stops at `top` rows or after MAX_SHARDS_PER_PAGE shards, and the
 * continuation token says where to go on (shard, row). Rows only ever get appended to a shard, so
 * a token stays valid while the rollout runs. With a filter (state, error code, or both) a page may
 * hold fewer than `top` rows and still have a token: follow it until it is null.
 *
 * One device: its shard record, which its tracker (the batch orchestration) updates with the
 * phase, the twin $version and the timeline as the device goes; a device not started yet
 * (pending, or skipped before planning) has a one-entry timeline saying why.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { isRecord } from '../../../contracts/guards';
import { statusOrNull } from '../durableClient';
import { ledgerEntity, shardEntity } from '../entities/contracts';
import {
  DEVICE_ID_RULE,
  DEVICE_ROLLOUT_STATES,
  ERROR_CODE_RULE,
  effectiveRow,
  isErrorCode,
  isValidDeviceId,
  isWaveFinal,
  rowOf,
  shardOf,
} from '../rollout';
import type { DevicePage, DeviceRolloutState, DeviceShardState, DeviceView, RolloutLedgerState, SpecProblem } from '../rollout';
import { json, notFound, validationFailed } from './apiResponses';
import { apiRoute } from './apiRoute';
import { deviceLink } from './links';
import { decodeToken, encodeToken, pageSize, rolloutIdOf } from './requestParameters';
import { readEntity } from './rollouts';

export const DEFAULT_DEVICE_PAGE = 100;
export const MAX_DEVICE_PAGE = 1000;
/** Shards read for one page at most, so a rare state filter cannot make one request read them all. */
export const MAX_SHARDS_PER_PAGE = 10;

interface DevicesCursor {
  shard: number;
  row: number;
}

function isCursor(value: unknown): value is DevicesCursor {
  return (
    isRecord(value) &&
    Number.isSafeInteger(value.shard) &&
    Number.isSafeInteger(value.row) &&
    (value.shard as number) >= 0 &&
    (value.row as number) >= 0
  );
}

function isDeviceState(value: string): value is DeviceRolloutState {
  return (DEVICE_ROLLOUT_STATES as readonly string[]).includes(value);
}

export async function listRolloutDevices(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const id = rolloutIdOf(request);
  if (!id.ok) return id.response;
  const problems: SpecProblem[] = [];
  const stateParam = request.query.get('state');
  if (stateParam !== null && stateParam !== '' && !isDeviceState(stateParam))
    problems.push({ field: 'state', message: `must be one of ${DEVICE_ROLLOUT_STATES.join(', ')}` });
  const errorCodeParam = request.query.get('errorCode');
  if (errorCodeParam !== null && errorCodeParam !== '' && !isErrorCode(errorCodeParam))
    problems.push({ field: 'errorCode', message: `must be ${ERROR_CODE_RULE}` });
  const top = pageSize(request, 'top', DEFAULT_DEVICE_PAGE, MAX_DEVICE_PAGE);
  if (typeof top !== 'number') problems.push(top);
  const token = request.query.get('continuationToken');
  const cursor = token === null || token === '' ? { shard: 0, row: 0 } : decodeToken(token, isCursor);
  if (cursor === null) problems.push({ field: 'continuationToken', message: 'is not a token this API issued' });
  if (problems.length > 0 || typeof top !== 'number' || cursor === null) return validationFailed(problems);
  const state = stateParam !== null && stateParam !== '' && isDeviceState(stateParam) ? stateParam : null;
  const errorCode = errorCodeParam === '' ? null : errorCodeParam;

  const client = df.getClient(context);
  const ledger = await readEntity<RolloutLedgerState>(client, ledgerEntity(id.id));
  if (ledger === null) {
    if ((await statusOrNull(client, id.id)) === null) return notFound(`No rollout ${id.id}.`);
    return json(200, { items: [], continuationToken: null, planned: false } satisfies DevicePage);
  }

  const items: DevicePage['items'] = [];
  let { shard, row } = cursor;
  let read = 0;
  while (shard < ledger.shardCount && items.length < top && read < MAX_SHARDS_PER_PAGE) {
    const rows = (await readEntity<DeviceShardState>(client, shardEntity(id.id, shard)))?.rows ?? [];
    read += 1;
    for (; row < rows.length && items.length < top; row += 1) {
      const effective = rowOf(effectiveRow(rows[row], (wave) => isWaveFinal(ledger, wave)));
      if ((state === null || effective.state === state) && (errorCode === null || effective.error?.code === errorCode))
        items.push({ ...effective, links: { self: deviceLink(request, id.id, effective.deviceId) } });
    }
    if (row >= rows.length) {
      shard += 1;
      row = 0;
    }
  }
  const done = shard >= ledger.shardCount;
  const page: DevicePage = { items, continuationToken: done ? null : encodeToken({ shard, row } satisfies DevicesCursor), planned: true };
  return json(200, page);
}

export async function getRolloutDevice(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const id = rolloutIdOf(request);
  if (!id.ok) return id.response;
  const deviceId = request.params.deviceId ?? '';
  if (!isValidDeviceId(deviceId)) return validationFailed([{ field: 'deviceId', message: `must be ${DEVICE_ID_RULE}` }]);
  const client = df.getClient(context);

  const ledger = await readEntity<RolloutLedgerState>(client, ledgerEntity(id.id));
  if (ledger === null) {
    const exists = (await statusOrNull(client, id.id)) !== null;
    return notFound(exists ? `Rollout ${id.id} has not planned its devices yet.` : `No rollout ${id.id}.`);
  }
  const shard = await readEntity<DeviceShardState>(client, shardEntity(id.id, shardOf(deviceId, ledger.shardCount)));
  const found = shard?.rows.find((row) => row.deviceId === deviceId);
  if (found === undefined) return notFound(`Device ${deviceId} is not a target of rollout ${id.id}.`);
  // Records of attempt 1 were stored without it.
  const record = { ...effectiveRow(found, (wave) => isWaveFinal(ledger, wave)), attempt: found.attempt ?? 1 };
  if (record.timeline.length > 0 || record.timelineDropped > 0) return json(200, { rolloutId: id.id, ...record } satisfies DeviceView);
  const detail =
    record.state === 'skipped'
      ? 'already on the version when the rollout resolved its targets'
      : record.state === 'canceled'
        ? 'not started: the rollout stopped before its turn'
        : 'planned';
  const view: DeviceView = { rolloutId: id.id, ...record, timeline: [{ time: record.updatedAt, state: record.state, detail }] };
  return json(200, view);
}

apiRoute('listRolloutDevices', 'rollouts/{id}/devices', ['GET'], listRolloutDevices);
apiRoute('getRolloutDevice', 'rollouts/{id}/devices/{deviceId}', ['GET'], getRolloutDevice);
