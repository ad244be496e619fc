import { IotHubError } from '../../errors/IotHubError';
import { IotHubErrorFactory } from '../../errors/IotHubErrorFactory';
import type { DeviceTopicHandler } from '../deviceContext';
import { replyTopics } from '../topics';

/**
 * `$iothub/twin/PATCH/properties/reported/?$rid=` → `$iothub/twin/res/204/?$rid=&$version=`, or the
 * error status with IoT Hub's error body (the SDK fails the request when the body has errorCode).
 */
export const reportedPatchHandler: DeviceTopicHandler<'reportedPatch'> = ({ deviceId, payload, reply, services }, { requestId }) => {
  const fail = (error: unknown) => {
    const hubError = error instanceof IotHubError ? error : IotHubErrorFactory.serverError(String((error as Error)?.message ?? error), 'nested');
    reply(replyTopics.twinResponse(hubError.status, requestId), JSON.stringify(hubError.deviceBody()));
  };
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
