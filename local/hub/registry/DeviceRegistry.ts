import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { generateKey } from '../authentication/accessPolicies';
import type { ErrorBodyStyle } from '../errors/IotHubError';
import { IotHubErrorFactory } from '../errors/IotHubErrorFactory';
import type { HubStore } from '../persistence/HubStore';
import {
  emptyTwin,
  replaceTwin,
  twinEtag,
  updateTwin,
  type DeviceSection,
  type JsonObject,
  type TwinChangeNotificationBody,
  type TwinReplaceNotificationBody,
  type TwinState,
} from '../twin';
import type { DeviceInput } from './deviceInput';
import { deviceEtag, NEVER, type DeviceIdentity, type DeviceRecord } from './deviceRecord';

/** A twin change, as the routing of twin-change events needs it. */
export interface TwinChange {
  deviceId: string;
  opType: 'updateTwin' | 'replaceTwin';
  body: TwinChangeNotificationBody | TwinReplaceNotificationBody;
  operationTimestamp: string;
}

export interface RegistryEvents {
  twinChanged: [TwinChange];
  /** A desired-properties patch the device must be sent, with its new $version. */
  desiredChanged: [deviceId: string, patch: DeviceSection];
  /** The device may no longer be connected: deleted, disabled or its keys changed. */
  deviceRevoked: [deviceId: string];
}

export interface BulkOperationResult {
  isSuccessful: boolean;
  errors: { deviceId: string; errorCode: string; errorStatus: string }[];
  warnings: { deviceId: string; warningCode: string; warningStatus: string }[];
}

export type BulkImportMode = 'create' | 'update' | 'updateIfMatchETag' | 'delete' | 'deleteIfMatchETag';

/** Twin update from the service side: the parts of a twin body it may write. */
export interface ServiceTwinPatch {
  tags?: JsonObject;
  desired?: JsonObject;
}

/**
 * The identity registry and twins: the one owner of device state. Works on an in-memory working
 * set written through to the store, and announces changes for the device endpoint and routing.
 */
export class DeviceRegistry extends EventEmitter<RegistryEvents> {
  private readonly devices = new Map<string, DeviceRecord>();

  constructor(private readonly store: HubStore) {
    super();
    for (const record of store.loadDevices()) {
      // Nobody is connected to a hub that just started.
      record.identity.connectionState = 'Disconnected';
      this.devices.set(record.identity.deviceId, record);
    }
  }

  get size(): number {
    return this.devices.size;
  }

  get(deviceId: string): DeviceRecord | undefined {
    return this.devices.get(deviceId);
  }

  require(deviceId: string, style: ErrorBodyStyle = 'legacy'): DeviceRecord {
    const record = this.devices.get(deviceId);
    if (!record) throw IotHubErrorFactory.deviceNotFound(deviceId, style);
    return record;
  }

  /** Devices in creation order. */
  list(): IterableIterator<DeviceRecord> {
    return this.devices.values();
  }

  create(input: DeviceInput): DeviceRecord {
    if (this.devices.has(input.deviceId)) throw IotHubErrorFactory.deviceAlreadyExists(input.deviceId);
    const record = newRecord(input);
    this.commit([record]);
    return record;
  }

  update(input: DeviceInput, ifMatch: string | undefined, now = new Date().toISOString()): DeviceRecord {
    const current = this.require(input.deviceId);
    checkDeviceEtag(current, ifMatch);
    const next = updatedRecord(current, input, now);
    this.commit([next]);
    if (revokes(current, next)) this.emit('deviceRevoked', input.deviceId);
    return next;
  }

  delete(deviceId: string, ifMatch: string | undefined): void {
    const current = this.require(deviceId);
    checkDeviceEtag(current, ifMatch);
    this.store.deleteDevices([deviceId]);
    this.devices.delete(deviceId);
    this.emit('deviceRevoked', deviceId);
  }

  /**
   * The bulk registry API: each device succeeds or fails on its own (as in IoT Hub), and the
   * successful ones are written in one transaction.
   */
  bulk(operations: { mode: BulkImportMode; input: DeviceInput }[], now = new Date().toISOString()): BulkOperationResult {
    const seen = new Set<string>();
    for (const { input } of operations) {
      if (seen.has(input.deviceId)) throw IotHubErrorFactory.deviceDefinedMultipleTimes(input.deviceId);
      seen.add(input.deviceId);
    }
    const result: BulkOperationResult = { isSuccessful: true, errors: [], warnings: [] };
    const writes: DeviceRecord[] = [];
    const deletes: string[] = [];
    const revoked: string[] = [];
    for (const { mode, input } of operations) {
      const current = this.devices.get(input.deviceId);
      const fail = (errorCode: string, errorStatus: string) => {
        result.isSuccessful = false;
        result.errors.push({ deviceId: input.deviceId, errorCode, errorStatus });
      };
      if (mode === 'create') {
        if (current) fail('DeviceAlreadyExists', `A device with ID '${input.deviceId}' is already registered.`);
        else writes.push(newRecord(input));
        continue;
      }
      if (!current) {
        fail('DeviceNotFound', `Device ${input.deviceId} not registered`);
        continue;
      }
      if ((mode === 'updateIfMatchETag' || mode === 'deleteIfMatchETag') && input.etag !== deviceEtag(current.identityVersion)) {
        fail('PreconditionFailed', `The ETag of device ${input.deviceId} does not match.`);
        continue;
      }
      if (mode === 'delete' || mode === 'deleteIfMatchETag') {
        deletes.push(input.deviceId);
        revoked.push(input.deviceId);
      } else {
        const next = updatedRecord(current, input, now);
        writes.push(next);
        if (revokes(current, next)) revoked.push(input.deviceId);
      }
    }
    if (writes.length > 0) this.commit(writes);
    if (deletes.length > 0) {
      this.store.deleteDevices(deletes);
      for (const id of deletes) this.devices.delete(id);
    }
    for (const id of revoked) this.emit('deviceRevoked', id);
    return result;
  }

  /** Service-side twin update (PATCH /twins/{id}): one operation, all sections apply or none. */
  updateTwin(deviceId: string, patch: ServiceTwinPatch, ifMatch: string | undefined, now = new Date().toISOString()): DeviceRecord {
    const current = this.require(deviceId, 'nested');
    checkTwinEtag(current, ifMatch);
    const applied = updateTwin(current.twin, patch, now);
    return this.commitTwin(current, applied, 'updateTwin', now);
  }

  /** Service-side twin replace (PUT /twins/{id}): tags and desired replaced wholesale. */
  replaceTwin(deviceId: string, replacement: ServiceTwinPatch, ifMatch: string | undefined, now = new Date().toISOString()): DeviceRecord {
    const current = this.require(deviceId, 'nested');
    checkTwinEtag(current, ifMatch);
    const applied = replaceTwin(current.twin, replacement, now, deviceId);
    return this.commitTwin(current, applied, 'replaceTwin', now);
  }

  /** A reported-properties patch from the device; returns the new reported $version. */
  reportProperties(deviceId: string, patch: unknown, now = new Date().toISOString()): number {
    const current = this.require(deviceId, 'nested');
    const applied = updateTwin(current.twin, { reported: patch as JsonObject }, now);
    const next = this.commitTwin({ ...current, identity: { ...current.identity, lastActivityTime: now } }, applied, 'updateTwin', now);
    return next.twin.reported.version;
  }

  /** Connection state lives in memory only: after a restart every device is disconnected. */
  setConnected(deviceId: string, connected: boolean, now = new Date().toISOString()): void {
    this.replaceIdentity(deviceId, {
      connectionState: connected ? 'Connected' : 'Disconnected',
      connectionStateUpdatedTime: now,
      lastActivityTime: now,
    });
  }

  touch(deviceId: string, now = new Date().toISOString()): void {
    this.replaceIdentity(deviceId, { lastActivityTime: now });
  }

  /** Records are replaced, never mutated, so views cached per record object stay correct. */
  private replaceIdentity(deviceId: string, changes: Partial<DeviceIdentity>): void {
    const record = this.devices.get(deviceId);
    if (record) this.devices.set(deviceId, { ...record, identity: { ...record.identity, ...changes } });
  }

  /** Calls back once every change so far is durable (or with the error that lost them). */
  afterCommit(callback: (error?: Error) => void): void {
    this.store.afterCommit(callback);
  }

  /** afterCommit as a promise, for request handlers that answer only after their change is stored. */
  committed(): Promise<void> {
    return new Promise((resolve, reject) => this.afterCommit((error) => (error ? reject(error) : resolve())));
  }

  twinOf(deviceId: string): TwinState {
    return this.require(deviceId, 'nested').twin;
  }

  private commitTwin(
    current: DeviceRecord,
    applied: { state: TwinState; notification: TwinChange['body']; desiredPatch?: DeviceSection },
    opType: TwinChange['opType'],
    now: string,
  ): DeviceRecord {
    const next = { ...current, twin: applied.state };
    this.commit([next]);
    const deviceId = current.identity.deviceId;
    this.emit('twinChanged', { deviceId, opType, body: applied.notification, operationTimestamp: now });
    if (applied.desiredPatch) this.emit('desiredChanged', deviceId, applied.desiredPatch);
    return next;
  }

  private commit(records: DeviceRecord[]): void {
    this.store.putDevices(records);
    for (const record of records) this.devices.set(record.identity.deviceId, record);
  }
}

function newRecord(input: DeviceInput): DeviceRecord {
  const status = input.status ?? 'enabled';
  const identity: DeviceIdentity = {
    deviceId: input.deviceId,
    generationId: String(randomInt(1e9, 2 ** 47)),
    etag: deviceEtag(1),
    connectionState: 'Disconnected',
    status,
    statusReason: input.statusReason ?? null,
    connectionStateUpdatedTime: NEVER,
    statusUpdatedTime: NEVER,
    lastActivityTime: NEVER,
    cloudToDeviceMessageCount: 0,
    authentication: authenticationOf(input, undefined),
    capabilities: { iotEdge: input.iotEdge ?? false },
  };
  return { identity, twin: emptyTwin(), identityVersion: 1 };
}

function updatedRecord(current: DeviceRecord, input: DeviceInput, now: string): DeviceRecord {
  const identityVersion = current.identityVersion + 1;
  const was = current.identity;
  const status = input.status ?? was.status;
  return {
    ...current,
    identityVersion,
    identity: {
      ...was,
      etag: deviceEtag(identityVersion),
      status,
      statusReason: input.statusReason === undefined ? was.statusReason : input.statusReason,
      statusUpdatedTime: status === was.status ? was.statusUpdatedTime : now,
      authentication: authenticationOf(input, was.authentication),
      capabilities: { iotEdge: input.iotEdge ?? was.capabilities.iotEdge },
    },
  };
}

/** Keys left empty are generated on create and kept on update. */
function authenticationOf(input: DeviceInput, was: DeviceIdentity['authentication'] | undefined): DeviceIdentity['authentication'] {
  const sas = input.authenticationType === 'sas';
  return {
    type: input.authenticationType,
    symmetricKey: sas
      ? {
          primaryKey: input.primaryKey ?? was?.symmetricKey.primaryKey ?? generateKey(),
          secondaryKey: input.secondaryKey ?? was?.symmetricKey.secondaryKey ?? generateKey(),
        }
      : { primaryKey: null, secondaryKey: null },
    x509Thumbprint: {
      primaryThumbprint: input.primaryThumbprint ?? null,
      secondaryThumbprint: input.secondaryThumbprint ?? null,
    },
  };
}

/** A connected device loses its connection when disabled or when its credentials change. */
function revokes(before: DeviceRecord, after: DeviceRecord): boolean {
  const a = before.identity;
  const b = after.identity;
  return (
    b.status === 'disabled' ||
    a.authentication.type !== b.authentication.type ||
    a.authentication.symmetricKey.primaryKey !== b.authentication.symmetricKey.primaryKey ||
    a.authentication.symmetricKey.secondaryKey !== b.authentication.symmetricKey.secondaryKey
  );
}

/** If-Match is sent quoted; "*" (or no header) matches anything. */
function unquote(ifMatch: string | undefined): string | undefined {
  if (ifMatch === undefined) return undefined;
  const trimmed = ifMatch.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2 ? trimmed.slice(1, -1) : trimmed;
}

function checkDeviceEtag(record: DeviceRecord, ifMatch: string | undefined): void {
  const etag = unquote(ifMatch);
  if (etag !== undefined && etag !== '*' && etag !== deviceEtag(record.identityVersion)) {
    throw IotHubErrorFactory.preconditionFailed('legacy');
  }
}

function checkTwinEtag(record: DeviceRecord, ifMatch: string | undefined): void {
  const etag = unquote(ifMatch);
  if (etag !== undefined && etag !== '*' && etag !== twinEtag(record.twin.version)) {
    throw IotHubErrorFactory.preconditionFailed('nested');
  }
}
