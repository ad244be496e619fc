/**
 * One error type for every failure the emulator reports, carrying what IoT Hub puts on the wire:
 * the HTTP status, the six-digit error code and its name (the `iothub-errorcode` header).
 * Built only through IotHubErrorFactory so bodies stay identical to the service's.
 */
export type ErrorBodyStyle =
  /** Registry (devices/*) and query endpoints: `{"Message":"ErrorCode:<Name>;<msg>","ExceptionMessage":"Tracking ID:…"}`. */
  | 'legacy'
  /** Twin and method endpoints: `{"Message":"{\"errorCode\":404103,…}","ExceptionMessage":""}`. */
  | 'nested';

export class IotHubError extends Error {
  readonly trackingId: string;
  readonly timestampUtc: string;

  constructor(
    readonly status: number,
    readonly errorCode: number,
    readonly codeName: string,
    message: string,
    readonly style: ErrorBodyStyle,
    readonly info: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'IotHubError';
    this.trackingId = randomTrackingId();
    this.timestampUtc = new Date().toISOString();
  }

  /** The JSON body IoT Hub returns over HTTPS. */
  httpBody(): Record<string, string> {
    if (this.style === 'legacy') {
      return {
        Message: `ErrorCode:${this.codeName};${this.message}`,
        ExceptionMessage: `Tracking ID:${this.trackingId}-G:0-TimeStamp:${this.timestampUtc}`,
      };
    }
    return { Message: JSON.stringify(this.deviceBody()), ExceptionMessage: '' };
  }

  /** The body IoT Hub sends on an MQTT twin response topic (the device SDK looks for errorCode). */
  deviceBody(): Record<string, unknown> {
    return {
      errorCode: this.errorCode,
      trackingId: this.trackingId,
      message: this.message,
      info: this.info,
      timestampUtc: this.timestampUtc,
    };
  }
}

function randomTrackingId(): string {
  return Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}
