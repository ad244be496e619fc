import type { ThrottledOperation } from '../../../../contracts/iotHubQuotas';
import type { IotHubError } from '../../errors/IotHubError';
import type { DevicePublish, DeviceTopicHandler } from '../deviceContext';
import type { DeviceTopic } from '../topics';
import { methodResponseHandler } from './methodResponseHandler';
import { reportedPatchHandler } from './reportedPatchHandler';
import { telemetryHandler } from './telemetryHandler';
import { replyTwinError } from './twinErrorReply';
import { twinGetHandler } from './twinGetHandler';

/** One handler per topic kind a device may publish to, and the IoT Hub throttle it counts against (null: not metered). */
const HANDLERS: { [K in DeviceTopic['kind']]: { handle: DeviceTopicHandler<K>; operation: ThrottledOperation | null } } = {
  twinGet: { handle: twinGetHandler, operation: 'twinReads' },
  reportedPatch: { handle: reportedPatchHandler, operation: 'twinUpdates' },
  methodResponse: { handle: methodResponseHandler, operation: null },
  telemetry: { handle: telemetryHandler, operation: null },
};

export function dispatch(publish: DevicePublish, topic: DeviceTopic): void {
  (HANDLERS[topic.kind].handle as DeviceTopicHandler<typeof topic.kind>)(publish, topic as never);
}

export function operationOf(topic: DeviceTopic): ThrottledOperation | null {
  return HANDLERS[topic.kind].operation;
}

/** A publish the throttle rejected. Only twin requests are metered: IoT Hub answers them on the twin response topic. */
export function refuseThrottled(publish: DevicePublish, topic: DeviceTopic, error: IotHubError): void {
  if (topic.kind === 'twinGet' || topic.kind === 'reportedPatch') replyTwinError(publish.reply, topic.requestId, error);
}
