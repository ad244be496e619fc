import { IotHubErrorFactory } from '../../errors/IotHubErrorFactory';
import type { DeviceTopicHandler } from '../deviceContext';
import { replyTopics } from '../topics';
import { replyTwinError } from './twinErrorReply';

/**
 * `$iothub/twin/PATCH/properties/reported/?$rid=` → `$iothub/twin/res/204/?$rid=&$version=`, or the
 * error status with IoT Hub's error body.
 */
export const reportedPatchHandler: DeviceTopicHandler<'reportedPatch'> = ({ deviceId, payload, reply, services }, { requestId }) => {
  const fail = (error: unknown) => replyTwinError(reply, requestId, error);
  try {
    let patch: unknown;
    try {
      patch = JSON.parse(payload.toString('utf8'));
    } catch (error) {
      throw IotHubErrorFactory.malformedJson((error as Error).message, 'nested');
    }
    const version = services.registry.reportProperties(deviceId, patch);
    // Acknowledged only once stored, as IoT Hub does.
    services.registry.afterCommit((error) => (error ? fail(error) : reply(replyTopics.twinResponse(204, requestId, version), '')));
  } catch (error) {
    fail(error);
  }
};
