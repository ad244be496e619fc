import type { HubScale } from '../../contracts/iotHubQuotas';
import type { SharedAccessPolicy } from './authentication/accessPolicies';

/** Where a running hub writes its HubConnectionInfo, in its data dir. */
export const HUB_CONNECTION_FILE = 'connection.json';

/** How clients reach a running hub; also written to <data dir>/connection.json. */
export interface HubConnectionInfo {
  hubName: string;
  /** The IoT Hub host name clients put in connection strings: host, plus :port unless 443. */
  hostName: string;
  serviceConnectionString: string;
  caCertPath: string;
  https: { host: string; port: number };
  mqtt: { host: string; port: number };
  /** The built-in Event Hub-compatible endpoint (AMQP, plain TCP as the Event Hubs emulator). */
  eventHubs: { connectionString: string; host: string; port: number; entityPath: string; partitionCount: number };
  /** The IoT Hub tier and units whose operation throttles the emulator enforces; null when it throttles nothing. */
  throttling: HubScale | null;
}

export function hostNameFor(host: string, httpsPort: number): string {
  return httpsPort === 443 ? host : `${host}:${httpsPort}`;
}

export function policyConnectionString(hostName: string, policy: SharedAccessPolicy): string {
  return `HostName=${hostName};SharedAccessKeyName=${policy.keyName};SharedAccessKey=${policy.primaryKey}`;
}

/** A device connection string the unmodified device SDK accepts; GatewayHostName carries the MQTT port. */
export function deviceConnectionString(info: HubConnectionInfo, deviceId: string, key: string): string {
  return `HostName=${info.hostName};DeviceId=${deviceId};SharedAccessKey=${key};GatewayHostName=${info.mqtt.host}:${info.mqtt.port}`;
}

/** What the Azure portal shows as the "Event Hub-compatible endpoint", for the local emulator. */
export function eventHubConnectionString(host: string, port: number, entityPath: string, policy: SharedAccessPolicy): string {
  return `Endpoint=sb://${host}:${port}/;SharedAccessKeyName=${policy.keyName};SharedAccessKey=${policy.primaryKey};EntityPath=${entityPath};UseDevelopmentEmulator=true`;
}
