/**
 * How a part started with PartProcess says where it serves: once it listens, it writes a file to its
 * data dir (atomically; removed when it closes). These are the probes PartProcess.start polls.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_ENDPOINT_FILE, type HostEndpoint } from '../host/startFunctionHost';
import { HUB_CONNECTION_FILE, type HubConnectionInfo } from '../hub/connectionInfo';

/** The dev host on dataDir: its endpoint.json. */
export function hostEndpoint(dataDir: string): () => HostEndpoint | undefined {
  return endpointFile<HostEndpoint>(join(dataDir, HOST_ENDPOINT_FILE));
}

/** The IoT Hub emulator on dataDir: its connection.json (local/hub/startHub.ts). */
export function hubEndpoint(dataDir: string): () => HubConnectionInfo | undefined {
  return endpointFile<HubConnectionInfo>(join(dataDir, HUB_CONNECTION_FILE));
}

/**
 * The file's JSON once the part has written it. A file a killed part left behind is removed first,
 * so only the part being started counts: make the probe right before starting it.
 */
function endpointFile<T>(file: string): () => T | undefined {
  rmSync(file, { force: true });
  return () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined);
}
