import type { DirectMethodInvoker } from '../methods/DirectMethodInvoker';
import type { DeviceRegistry } from '../registry/DeviceRegistry';
import type { HubThrottles } from '../throttling/HubThrottles';
import type { DeviceTopic } from './topics';

/** A device-to-cloud message from a device as it appears on the wire. */
export interface TelemetryMessage {
  deviceId: string;
  body: Buffer;
  properties: Record<string, string>;
  systemProperties: Record<string, string>;
  enqueuedTime: string;
}

export interface DeviceServices {
  registry: DeviceRegistry;
  methods: DirectMethodInvoker;
  /** The hub's operation throttles; null when the emulator throttles nothing. */
  throttles: HubThrottles | null;
  onTelemetry(message: TelemetryMessage): void;
}

/** One publish from an authenticated device; `reply` goes to that connection only. */
export interface DevicePublish {
  deviceId: string;
  payload: Buffer;
  reply(topic: string, payload: string): void;
  services: DeviceServices;
}

export type DeviceTopicHandler<K extends DeviceTopic['kind']> = (publish: DevicePublish, topic: Extract<DeviceTopic, { kind: K }>) => void;
