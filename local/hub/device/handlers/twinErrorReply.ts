import { IotHubError } from '../../errors/IotHubError';
import { IotHubErrorFactory } from '../../errors/IotHubErrorFactory';
import type { DevicePublish } from '../deviceContext';
import { replyTopics } from '../topics';

/**
 * A failed twin request: `$iothub/twin/res/<status>/?$rid=` with IoT Hub's error body (the SDK fails
 * the request when the body has errorCode).
 */
export function replyTwinError(reply: DevicePublish['reply'], requestId: string, error: unknown): void {
  const hubError =
    error instanceof IotHubError ? error : IotHubErrorFactory.serverError(String((error as Error)?.message ?? error), 'nested');
  reply(replyTopics.twinResponse(hubError.status, requestId), JSON.stringify(hubError.deviceBody()));
}
