import type { DevicePublish, DeviceTopicHandler } from '../deviceContext';
import type { DeviceTopic } from '../topics';
import { methodResponseHandler } from './methodResponseHandler';
import { reportedPatchHandler } from './reportedPatchHandler';
import { telemetryHandler } from './telemetryHandler';
import { twinGetHandler } from './twinGetHandler';

/** One handler per topic kind a device may publish to. */
const HANDLERS: { [K in DeviceTopic['kind']]: DeviceTopicHandler<K> } = {
  twinGet: twinGetHandler,
  reportedPatch: reportedPatchHandler,
  methodResponse: methodResponseHandler,
  telemetry: telemetryHandler,
};

export function dispatch(publish: DevicePublish, topic: DeviceTopic): void {
  (HANDLERS[topic.kind] as DeviceTopicHandler<typeof topic.kind>)(publish, topic as never);
}
