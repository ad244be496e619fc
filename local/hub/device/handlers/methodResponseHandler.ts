import type { DeviceTopicHandler } from '../deviceContext';

/** `$iothub/methods/res/<status>/?$rid=`: the device's answer to a direct method. */
export const methodResponseHandler: DeviceTopicHandler<'methodResponse'> = ({ deviceId, payload, services }, { requestId, status }) => {
  services.methods.onResponse(deviceId, requestId, status, payload);
};
