import { deviceTwinView } from '../../twin';
import type { DeviceTopicHandler } from '../deviceContext';
import { replyTopics } from '../topics';

/** `$iothub/twin/GET/?$rid=` → `$iothub/twin/res/200/?$rid=` with `{desired, reported}`. */
export const twinGetHandler: DeviceTopicHandler<'twinGet'> = ({ deviceId, reply, services }, { requestId }) => {
  const twin = services.registry.twinOf(deviceId);
  reply(replyTopics.twinResponse(200, requestId), JSON.stringify(deviceTwinView(twin)));
};
