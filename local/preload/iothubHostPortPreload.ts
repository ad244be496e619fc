/** `node -r` entry for iothubHostPort: installs it, trusting FLEETWAVE_HUB_CA when set. */
import { readFileSync } from 'node:fs';
import { installIotHubHostPort } from './iothubHostPort';

const caFile = process.env.FLEETWAVE_HUB_CA;
installIotHubHostPort(caFile ? { ca: readFileSync(caFile) } : {});
