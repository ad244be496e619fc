jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { FirmwareUpdateRequest, FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import { toReport } from '../../../device/agent/stateStore';
import type { UpdateState } from '../../../device/agent/stateStore';
import { classifyEvent, twinChanges } from '../../../functions/src/events/twinChanges';
import type { BatchSummary } from '../../../functions/src/events/twinChanges';
import { ORCHESTRATION } from '../../../functions/src/orchestrators/contracts';
import type { TwinReportEvent, TwinReportsEvent } from '../../../functions/src/orchestrators/contracts';
import { batchInstanceId, parseTwinReportsEvent } from '../../../functions/src/rollout';
import type { NewEvent } from '../../../local/hub/eventhubs/eventData';
import type { JsonObject } from '../../../local/hub/twin';
import { FIRMWARE } from '../support/fixtures';
import { TwinOnHub, hostBatch, telemetry } from '../support/iotHubEvents';
import type { BodyForm } from '../support/iotHubEvents';
import { TinyDurableApi } from '../support/tinyDurableApi';

/** The trackers (batch orchestrations) the devices' requests named. */
const TRACKER = batchInstanceId('fw-1', 0, 3);
const OTHER_TRACKER = batchInstanceId('fw-1', 1, 0, 2);

const api = new TinyDurableApi();
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  api.instances.clear();
  api.requests.length = 0;
  api.addInstance({ name: ORCHESTRATION.batch, instanceId: TRACKER });
  api.addInstance({ name: ORCHESTRATION.batch, instanceId: OTHER_TRACKER });
});

/** The agent's times, each set when it entered its status (failures keep the earlier ones). */
const STEPS = [
  ['waiting', 'startedWaitingTime'],
  ['downloading', 'startedDownloadingTime'],
  ['downloadComplete', 'downloadCompleteTime'],
  ['applying', 'startedApplyingImage'],
  ['applyComplete', 'lastFirmwareUpdate'],
] as const;
const timeOf = (step: number): string => `2025-01-01T00:00:0${step + 1}.000Z`;
/** The step a failure happened in. */
const FAILED_IN: Partial<Record<FirmwareUpdateStatus, FirmwareUpdateStatus>> = { downloadFailed: 'downloading', applyFailed: 'applying' };

interface PatchOptions {
  /** The request's tracker; null: a request without one. */
  tracker?: string | null;
  rolloutId?: string;
  progress?: number;
  currentFwVersion?: string;
  error?: UpdateState['error'];
}

/** The reported patch the device agent writes for a state (device/agent: commit → toReport). */
function agentPatch(status: FirmwareUpdateStatus, options: PatchOptions = {}): JsonObject {
  const tracker = options.tracker === undefined ? TRACKER : options.tracker;
  const request: FirmwareUpdateRequest = {
    rolloutId: options.rolloutId ?? 'fw-1',
    fwVersion: FIRMWARE.version,
    fwPackageUri: FIRMWARE.uri,
    sha256: FIRMWARE.sha256,
    size: FIRMWARE.size,
    ...(tracker === null ? {} : { tracker }),
  };
  const reached = STEPS.findIndex(([step]) => step === (FAILED_IN[status] ?? status));
  const times = Object.fromEntries(STEPS.map(([, field], i) => [field, i <= reached ? timeOf(i) : null])) as UpdateState['times'];
  const progress = options.progress === undefined ? {} : { progress: options.progress };
  const update: UpdateState = { request, status, error: options.error ?? null, ...progress, times };
  const patch: JsonObject = { iothubDM: { firmwareUpdate: toReport(update) as unknown as JsonObject } };
  if (options.progress === undefined || status !== 'downloading') {
    patch.firmware = { currentFwVersion: options.currentFwVersion ?? '1.0.0' };
  }
  return patch;
}

/** Stamps the events as enqueued one after the other, in the batch's order (as a partition delivers them). */
function enqueuedInOrder(events: NewEvent[]): NewEvent[] {
  events.forEach((event, i) => (event.annotations['iothub-enqueuedtime'] = Date.parse('2025-01-01T00:01:00.000Z') + i * 10));
  return events;
}
const enqueuedAt = (i: number): string => new Date(Date.parse('2025-01-01T00:01:00.000Z') + i * 10).toISOString();

async function deliver(events: NewEvent[], form: BodyForm = 'json'): Promise<{ summary: BatchSummary; lines: string[] }> {
  const batch = hostBatch(events, form);
  const context = api.context('twinChanges', { triggerMetadata: batch.triggerMetadata });
  const summary = await twinChanges(batch.messages, context);
  return { summary, lines: context.lines };
}

/** The reports raised on an instance, across its events. */
const raised = (instanceId: string): TwinReportEvent[] =>
  api.instances.get(instanceId)!.events.flatMap((event) => {
    expect(event.name).toBe('twinReport');
    return (event.data as TwinReportsEvent).reports;
  });
const raiseCount = (instanceId: string): number => api.instances.get(instanceId)!.events.length;
/** The fields of the handler's log lines of one event name (`<event> {json}`). */
const logged = (lines: string[], event: string): Record<string, unknown>[] =>
  lines.filter((line) => line.includes(` ${event} {`)).map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);
/** Every raise-event call the Durable API received, whatever its answer. */
const raiseCalls = (): string[] => api.requests.filter((request) => /^POST instances\/.+\/raiseEvent\//.test(request));

describe('twin-change event handler', () => {
  test("one tracker's devices in one batch: ONE raise on the tracker with all their reports, in enqueued order, compact", async () => {
    const thermo = new TwinOnHub('thermo#7');
    const pump = new TwinOnHub('pump-2');
    const odd = new TwinOnHub('a%41');
    const events = enqueuedInOrder([
      thermo.reported(agentPatch('waiting')),
      pump.reported(agentPatch('waiting')),
      thermo.reported(agentPatch('downloading', { progress: 0 })),
      pump.reported(agentPatch('downloading', { progress: 37 })), // progress between tenths: not forwarded
      odd.reported(agentPatch('downloadFailed', { error: { code: 'hashMismatch', message: 'sha256 differs' } })),
      pump.reported(agentPatch('downloading', { progress: 50 })),
      thermo.reported(agentPatch('applyComplete', { currentFwVersion: '2.1.0' })),
    ]);
    const { summary, lines } = await deliver(events);
    expect(summary).toEqual({ events: 7, forwarded: 6, ignored: 1, malformed: 0, vanished: 0, failed: 0 });
    expect(raiseCalls()).toEqual([`POST instances/${TRACKER}/raiseEvent/twinReport`]);
    expect(raiseCount(TRACKER)).toBe(1);
    expect(raiseCount(OTHER_TRACKER)).toBe(0);

    const reports = raised(TRACKER);
    expect(reports.map((r) => [r.deviceId, r.twinVersion, r.enqueuedTime])).toEqual([
      ['thermo#7', 2, enqueuedAt(0)],
      ['pump-2', 2, enqueuedAt(1)],
      ['thermo#7', 3, enqueuedAt(2)],
      ['a%41', 2, enqueuedAt(4)],
      ['pump-2', 4, enqueuedAt(5)],
      ['thermo#7', 4, enqueuedAt(6)],
    ]);
    // Only what the tracker judges on and the time of the status: no URI, tracker, other times or null error.
    const base = { rolloutId: 'fw-1', fwVersion: FIRMWARE.version };
    expect(reports.map((r) => r.firmwareUpdate)).toEqual([
      { ...base, status: 'waiting', startedWaitingTime: timeOf(0) },
      { ...base, status: 'waiting', startedWaitingTime: timeOf(0) },
      { ...base, status: 'downloading', progress: 0, startedDownloadingTime: timeOf(1) },
      { ...base, status: 'downloadFailed', error: { code: 'hashMismatch', message: 'sha256 differs' } },
      { ...base, status: 'downloading', progress: 50, startedDownloadingTime: timeOf(1) },
      { ...base, status: 'applyComplete', lastFirmwareUpdate: timeOf(4) },
    ]);
    expect(reports.map((r) => r.currentFwVersion)).toEqual(['1.0.0', '1.0.0', undefined, '1.0.0', undefined, '2.1.0']);
    // The tracker reads the event back whole.
    const read = parseTwinReportsEvent(api.instances.get(TRACKER)!.events[0].data);
    expect(read.problems).toEqual([]);
    expect(read.reports.map((r) => [r.deviceId, r.report.twinVersion, r.report.firmwareUpdate?.status])).toEqual(
      reports.map((r) => [r.deviceId, r.twinVersion, r.firmwareUpdate?.status]),
    );
    expect(logged(lines, 'twinChange.forwarded')).toEqual([{ rolloutId: 'fw-1', tracker: TRACKER, devices: 3, reports: 6 }]);
  });

  test('reports for two trackers: two raises, each with only its devices', async () => {
    const a = new TwinOnHub('dev-a');
    const b = new TwinOnHub('dev-b');
    const c = new TwinOnHub('dev-c');
    const events = enqueuedInOrder([
      a.reported(agentPatch('waiting')),
      b.reported(agentPatch('waiting', { tracker: OTHER_TRACKER })),
      c.reported(agentPatch('waiting')),
      b.reported(agentPatch('downloading', { tracker: OTHER_TRACKER, progress: 0 })),
      a.reported(agentPatch('downloading', { progress: 0 })),
    ]);
    const { summary } = await deliver(events);
    expect(summary).toMatchObject({ events: 5, forwarded: 5, ignored: 0, malformed: 0 });
    expect(raiseCalls().sort()).toEqual([OTHER_TRACKER, TRACKER].map((id) => `POST instances/${id}/raiseEvent/twinReport`).sort());
    expect(raised(TRACKER).map((r) => [r.deviceId, r.firmwareUpdate?.status])).toEqual([
      ['dev-a', 'waiting'],
      ['dev-c', 'waiting'],
      ['dev-a', 'downloading'],
    ]);
    expect(raised(OTHER_TRACKER).map((r) => [r.deviceId, r.firmwareUpdate?.status])).toEqual([
      ['dev-b', 'waiting'],
      ['dev-b', 'downloading'],
    ]);
  });

  test.each(['text', 'bytes'] as const)('bodies delivered as %s are read the same way', async (form) => {
    const twin = new TwinOnHub('pump-2');
    const error = { code: 'hashMismatch' as const, message: 'sha256 differs' };
    const { summary } = await deliver([twin.reported(agentPatch('downloadFailed', { error }))], form);
    expect(summary.forwarded).toBe(1);
    expect(raised(TRACKER)[0]).toMatchObject({ deviceId: 'pump-2', twinVersion: 2, firmwareUpdate: { status: 'downloadFailed', error } });
  });

  test('a report without a tracker is ignored: nothing is raised', async () => {
    const { summary } = await deliver([new TwinOnHub('old-agent').reported(agentPatch('waiting', { tracker: null }))]);
    expect(summary).toEqual({ events: 1, forwarded: 0, ignored: 1, malformed: 0, vanished: 0, failed: 0 });
    expect(raiseCalls()).toEqual([]);
  });

  test("a tracker that is not a batch of the report's rollout is malformed, raised nowhere even where that instance exists", async () => {
    const wrong = [
      batchInstanceId('fw-2', 0, 3), // another rollout's batch
      'fw-1:w0', // a wave of the rollout
      'fw-1', // the rollout itself
      'fw-1:w0:b03', // not as batchInstanceId writes it
      'fw-1:d:thermo~7', // a device orchestration of the old design
      'fw-1:w0:b3:x', // garbage after a batch id
    ];
    for (const instanceId of wrong) api.addInstance({ name: ORCHESTRATION.batch, instanceId });
    const device = new TwinOnHub('thermo#7');
    const events = [
      ...wrong.map((tracker) => device.reported(agentPatch('waiting', { tracker }))),
      device.reported(agentPatch('waiting', { tracker: 'fw-1/w0/b3' })), // not even a tracker key
    ];
    const { summary, lines } = await deliver(events);
    expect(summary).toEqual({ events: 7, forwarded: 0, ignored: 0, malformed: 7, vanished: 0, failed: 0 });
    expect(raiseCalls()).toEqual([]);
    expect(logged(lines, 'twinChange.malformed').map((fields) => fields.problem)).toEqual([
      ...wrong.map((tracker) => `tracker ${JSON.stringify(tracker)} is not a batch of rollout fw-1`),
      'iothubDM.firmwareUpdate.tracker must be a tracker key as the rollout sent it',
    ]);
  });

  test('a tracker instance that does not exist: its reports are counted vanished, the batch goes on', async () => {
    const gone = batchInstanceId('fw-1', 0, 9);
    const events = [
      new TwinOnHub('dev-a').reported(agentPatch('waiting', { tracker: gone })),
      new TwinOnHub('dev-b').reported(agentPatch('waiting', { tracker: gone })),
      new TwinOnHub('dev-c').reported(agentPatch('waiting')),
    ];
    const { summary, lines } = await deliver(events);
    expect(summary).toEqual({ events: 3, forwarded: 1, ignored: 0, malformed: 0, vanished: 2, failed: 0 });
    expect(raised(TRACKER).map((r) => r.deviceId)).toEqual(['dev-c']);
    expect(logged(lines, 'twinChange.noInstance')).toEqual([
      expect.objectContaining({ rolloutId: 'fw-1', tracker: gone, devices: 2, reports: 2 }),
    ]);
  });

  test('other events are ignored, malformed ones logged; the batch never fails for them', async () => {
    const thermo = new TwinOnHub('thermo#7');
    const malformedBody = { ...thermo.reported(agentPatch('waiting')), body: Buffer.from('{"version": 3, "properties": ') };
    const noDeviceId = new TwinOnHub('x').reported(agentPatch('waiting'));
    delete noDeviceId.annotations['iothub-connection-device-id'];
    delete noDeviceId.properties.deviceId;
    const moduleTwin = new TwinOnHub('thermo#7').reported(agentPatch('waiting'));
    moduleTwin.annotations['iothub-connection-module-id'] = 'edgeAgent';
    const replaced = new TwinOnHub('thermo#7').reported(agentPatch('waiting'));
    replaced.properties.opType = 'replaceTwin';
    const raw = (firmwareUpdate: JsonObject): NewEvent => new TwinOnHub('thermo#7').reported({ iothubDM: { firmwareUpdate } });
    const badStatus = raw({ status: 'exploded', rolloutId: 'fw-1', fwVersion: '2.1.0', tracker: TRACKER });
    const badRollout = raw({ status: 'waiting', rolloutId: 'no spaces allowed', fwVersion: '2.1.0', tracker: TRACKER });
    const events = [
      telemetry('thermo#7', { temperature: 21.5 }),
      thermo.service({ tags: { ring: 'canary' }, desired: { interval: 30 } }),
      thermo.reported({ battery: 87 }),
      thermo.reported({ iothubDM: { firmwareUpdate: null } }),
      moduleTwin,
      replaced,
      malformedBody,
      noDeviceId,
      badStatus,
      badRollout,
      thermo.reported(agentPatch('waiting')),
    ];
    const { summary, lines } = await deliver(events);
    expect(summary).toEqual({ events: 11, forwarded: 1, ignored: 6, malformed: 4, vanished: 0, failed: 0 });
    expect(raised(TRACKER)).toHaveLength(1);
    expect(logged(lines, 'twinChange.malformed')).toHaveLength(4);
  });

  test('when the Durable API cannot take an event, the batch fails so it is delivered again', async () => {
    api.raiseEventStatus = 503;
    try {
      const events = [
        new TwinOnHub('dev-a').reported(agentPatch('waiting')),
        new TwinOnHub('dev-b').reported(agentPatch('waiting')),
        telemetry('dev-a', {}),
      ];
      const batch = hostBatch(events);
      const context = api.context('twinChanges', { triggerMetadata: batch.triggerMetadata });
      await expect(twinChanges(batch.messages, context)).rejects.toThrow(/2 of 3 twin-change events could not be raised/);
      expect(context.lines.some((line) => line.includes('twinChange.raiseFailed'))).toBe(true);
    } finally {
      api.raiseEventStatus = null;
    }
  });

  test('an event for a finished tracker is accepted (Durable answers 410) and not retried', async () => {
    api.instances.get(TRACKER)!.runtimeStatus = 'Completed';
    const { summary } = await deliver([new TwinOnHub('pump-2').reported(agentPatch('applyComplete', { currentFwVersion: '2.1.0' }))]);
    expect(summary).toMatchObject({ forwarded: 1, failed: 0 });
  });

  test('classification by example', () => {
    const twin = new TwinOnHub('a%41');
    const event = twin.reported(agentPatch('waiting'));
    const classified = classifyEvent(JSON.parse(event.body.toString()), event.annotations, event.properties);
    expect(classified).toMatchObject({
      kind: 'report',
      deviceId: 'a%41',
      rolloutId: 'fw-1',
      instanceId: TRACKER,
      event: { deviceId: 'a%41', twinVersion: 2 },
    });
    const untracked = twin.reported(agentPatch('waiting', { tracker: null }));
    expect(classifyEvent(JSON.parse(untracked.body.toString()), untracked.annotations, untracked.properties)).toEqual({
      kind: 'ignored',
      reason: 'no tracker in the report',
      deviceId: 'a%41',
    });
    expect(
      classifyEvent(
        { properties: { reported: agentPatch('waiting') } },
        { 'iothub-message-source': 'twinChangeEvents', 'iothub-connection-device-id': 'd' },
        {},
      ),
    ).toEqual({
      kind: 'malformed',
      problem: 'properties.reported.$version must be a non-negative integer',
      deviceId: 'd',
    });
    expect(classifyEvent(null, { 'iothub-message-source': 'deviceLifecycleEvents', 'iothub-connection-device-id': 'd' }, {})).toMatchObject(
      { kind: 'ignored' },
    );
  });
});
