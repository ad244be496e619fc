import { ErrorBodyStyle, IotHubError } from './IotHubError';

/**
 * The single place that knows IoT Hub's error codes (Microsoft.Azure.Devices ErrorCode enum) and
 * messages. Callers pick the body style of the endpoint they serve: registry and query endpoints
 * answer with the legacy body, twin and method endpoints with the nested JSON one.
 */
export const IotHubErrorFactory = {
  invalidProtocolVersion(style: ErrorBodyStyle = 'legacy'): IotHubError {
    return new IotHubError(400, 400001, 'InvalidProtocolVersion', 'Missing or invalid api-version query parameter.', style);
  },
  argumentInvalid(message: string, style: ErrorBodyStyle = 'legacy'): IotHubError {
    return new IotHubError(400, 400004, 'ArgumentInvalid', message, style);
  },
  argumentNull(message: string, style: ErrorBodyStyle = 'legacy'): IotHubError {
    return new IotHubError(400, 400005, 'ArgumentNull', message, style);
  },
  malformedJson(detail: string, style: ErrorBodyStyle = 'legacy'): IotHubError {
    return new IotHubError(400, 400004, 'ArgumentInvalid', `The request body is not valid JSON: ${detail}`, style);
  },
  deviceDefinedMultipleTimes(deviceId: string): IotHubError {
    return new IotHubError(
      400,
      400011,
      'DeviceDefinedMultipleTimes',
      `Device ${deviceId} is defined more than once in the request.`,
      'legacy',
    );
  },
  unauthorized(message: string, style: ErrorBodyStyle = 'legacy'): IotHubError {
    return new IotHubError(401, 401003, 'IotHubUnauthorized', message, style);
  },
  unauthorizedAccess(message: string, style: ErrorBodyStyle = 'legacy'): IotHubError {
    return new IotHubError(401, 401002, 'IotHubUnauthorizedAccess', message, style);
  },
  deviceNotFound(deviceId: string, style: ErrorBodyStyle = 'legacy'): IotHubError {
    return new IotHubError(404, 404001, 'DeviceNotFound', `Device ${deviceId} not registered`, style);
  },
  /** Also the answer to any path the service does not have. */
  resourceNotFound(path: string): IotHubError {
    return new IotHubError(404, 404001, 'DeviceNotFound', `No resource at ${path}`, 'legacy');
  },
  methodNotAllowed(method: string, path: string): IotHubError {
    return new IotHubError(405, 405001, 'MethodNotAllowed', `The method ${method} is not allowed on ${path}`, 'legacy');
  },
  deviceNotOnline(connectTimeoutInSeconds: number): IotHubError {
    return new IotHubError(404, 404103, 'DeviceNotOnline', 'Timed out waiting for device to connect.', 'nested', {
      timeout: formatTimeSpan(connectTimeoutInSeconds),
    });
  },
  deviceConnectionClosedRemotely(deviceId: string): IotHubError {
    return new IotHubError(
      404,
      404104,
      'DeviceConnectionClosedRemotely',
      `Device ${deviceId} disconnected before answering the method.`,
      'nested',
    );
  },
  deviceAlreadyExists(deviceId: string): IotHubError {
    return new IotHubError(409, 409001, 'DeviceAlreadyExists', `A device with ID '${deviceId}' is already registered.`, 'legacy');
  },
  preconditionFailed(style: ErrorBodyStyle = 'nested'): IotHubError {
    return new IotHubError(412, 412001, 'PreconditionFailed', 'Precondition failed: the ETag does not match the current version.', style);
  },
  messageTooLarge(message: string, style: ErrorBodyStyle = 'nested'): IotHubError {
    return new IotHubError(413, 413001, 'MessageTooLarge', message, style);
  },
  /** A twin section over its size limit (tags 8 KB, desired/reported 32 KB). */
  twinSectionTooLarge(sectionLabel: string, limitBytes: number, style: ErrorBodyStyle = 'nested'): IotHubError {
    return new IotHubError(
      403,
      403100,
      'DeviceModelMaxPropertiesExceeded',
      `'${sectionLabel}' size should be less than ${limitBytes} bytes.`,
      style,
    );
  },
  tooManyDevices(count: number, max: number): IotHubError {
    return new IotHubError(400, 413002, 'TooManyDevices', `Too many devices in one bulk operation: ${count} (at most ${max}).`, 'legacy');
  },
  /** Over one of the hub's operation throttles for longer than its traffic shaping queues requests. */
  throttled(operation: string, hub: string, limit: string, style: ErrorBodyStyle): IotHubError {
    return new IotHubError(
      429,
      429001,
      'ThrottlingException',
      `Throttled: ${operation} on this IoT Hub (${hub}) are limited to ${limit}, and the queue of waiting requests is full. ` +
        'Retry with backoff.',
      style,
    );
  },
  serverError(message: string, style: ErrorBodyStyle = 'legacy'): IotHubError {
    return new IotHubError(500, 500001, 'ServerError', message, style);
  },
  gatewayTimeout(responseTimeoutInSeconds: number): IotHubError {
    return new IotHubError(504, 504101, 'GatewayTimeout', 'Timed out waiting for the response from device.', 'nested', {
      timeout: formatTimeSpan(responseTimeoutInSeconds),
    });
  },
};

/** .NET TimeSpan "hh:mm:ss", the form IoT Hub uses in error info. */
function formatTimeSpan(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
