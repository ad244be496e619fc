import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDeviceModel, type DeviceModel } from '../../contracts/signing/signedManifest';
import { FirmwareUpdateAgent } from '../agent/FirmwareUpdateAgent';
import { readTrustRoots } from '../agent/trustRoots';
import { CommandInstaller } from '../install/commandInstaller';
import type { Installer } from '../install/Installer';
import { SimulatedInstaller } from '../install/simulatedInstaller';
import { onShutdown } from './shutdown';

export const AGENT_USAGE = `Usage: fleetwave-agent --connection-string <cs> --state-dir <dir> [options]

Runs the firmware update agent for one device: answers the firmwareUpdate direct method, then
downloads, verifies and installs the image, reporting every step in the twin's reported properties.
An update sent with install: 'staged' waits at downloadComplete for the firmwareApply direct method.

Options:
  --connection-string <cs>   the device connection string
                             (HostName=…;DeviceId=…;SharedAccessKey=…[;GatewayHostName=…])
  --state-dir <dir>          where the agent keeps its state and downloads (survives restarts)
  --ca <file>                PEM of an extra CA to trust for the hub and image downloads
  --installer <kind>         how images are installed: simulated | command (default: simulated)
  --install-command <cmd>    with --installer command: the command to run; the image path is appended
  --fw <version>             the version the device runs before any update (default: 1.0.0)
  --allow-insecure-downloads accept http:// image URIs
  --trust-root <file>        verify signed firmware against these root keys (repeatable): a roots file
                             (fleetwave firmware roots) or a root public key (fleetwave firmware keygen
                             --root); a request's signed manifest is checked before anything is
                             downloaded, and a newer trust bundle it carries is adopted and kept
  --require-signed           with --trust-root: refuse firmware that has no signed manifest
                             (default off: unsigned firmware still installs, for older rollouts)
  --model <[maker/]model>    what this device is, e.g. acme/x100: reported as firmware.model and
                             firmware.manufacturer; with --trust-root, a signed manifest restricted
                             to other models is refused (manifestMismatch)
  -h, --help                 show this help`;

/** Thrown for command lines the agent cannot run with; the message says what to change. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface AgentFlags {
  connectionString: string;
  stateDir: string;
  ca?: string;
  installer: 'simulated' | 'command';
  installCommand?: string;
  fw: string;
  allowInsecureDownloads: boolean;
  trustRoots: string[];
  requireSigned: boolean;
  deviceModel?: DeviceModel;
}

/** Parses the agent's command line; undefined means help was asked for. */
export function parseAgentArgs(argv: string[]): AgentFlags | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'connection-string': { type: 'string' },
        'state-dir': { type: 'string' },
        ca: { type: 'string' },
        installer: { type: 'string', default: 'simulated' },
        'install-command': { type: 'string' },
        fw: { type: 'string', default: '1.0.0' },
        'allow-insecure-downloads': { type: 'boolean', default: false },
        'trust-root': { type: 'string', multiple: true, default: [] },
        'require-signed': { type: 'boolean', default: false },
        model: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  const connectionString = values['connection-string'];
  const stateDir = values['state-dir'];
  if (!connectionString) throw new UsageError('--connection-string <cs> is required.');
  if (!stateDir) throw new UsageError('--state-dir <dir> is required.');
  const installer = values.installer;
  if (installer !== 'simulated' && installer !== 'command')
    throw new UsageError(`--installer must be 'simulated' or 'command', not '${installer}'.`);
  const installCommand = values['install-command'];
  if (installer === 'command' && !installCommand) throw new UsageError('--installer command needs --install-command <cmd>.');
  const trustRoots = values['trust-root'].map((path) => resolve(path));
  if (values['require-signed'] && trustRoots.length === 0)
    throw new UsageError('--require-signed needs --trust-root <file>: the root keys to verify signatures with.');
  const deviceModel = values.model === undefined ? undefined : modelFlag(values.model);
  return {
    connectionString,
    stateDir: resolve(stateDir),
    installer,
    fw: values.fw,
    allowInsecureDownloads: values['allow-insecure-downloads'],
    trustRoots,
    requireSigned: values['require-signed'],
    ...(values.ca ? { ca: values.ca } : {}),
    ...(installCommand ? { installCommand } : {}),
    ...(deviceModel ? { deviceModel } : {}),
  };
}

function modelFlag(value: string): DeviceModel {
  try {
    return parseDeviceModel(value);
  } catch (error) {
    throw new UsageError(`--model ${(error as Error).message}.`);
  }
}

/** Starts the agent the flags describe and stops it cleanly on Ctrl-C or SIGTERM. */
export async function runAgent(flags: AgentFlags): Promise<FirmwareUpdateAgent> {
  const log = (message: string) => console.log(`${new Date().toISOString()} ${message}`);
  const agent = new FirmwareUpdateAgent({
    connectionString: flags.connectionString,
    stateDir: flags.stateDir,
    installer: installerFor(flags),
    initialFwVersion: flags.fw,
    allowInsecureDownloads: flags.allowInsecureDownloads,
    ...(flags.trustRoots.length > 0 ? { trustRoots: readTrustRoots(flags.trustRoots), requireSigned: flags.requireSigned } : {}),
    ...(flags.ca ? { ca: readFileSync(flags.ca, 'utf8') } : {}),
    ...(flags.deviceModel ? { deviceModel: flags.deviceModel } : {}),
    log,
  });
  await agent.start();
  log(`agent running on firmware ${agent.currentFwVersion}; state in ${flags.stateDir}`);
  onShutdown(() => agent.stop());
  return agent;
}

/** The whole command line: help, a usage error (exit 2), or a running agent. */
export async function agentMain(argv: string[], program = 'fleetwave-agent'): Promise<void> {
  let flags: AgentFlags | undefined;
  try {
    flags = parseAgentArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${program}: ${error.message}\n\n${AGENT_USAGE.replace(/fleetwave-agent/g, program)}`);
    process.exitCode = 2;
    return;
  }
  if (!flags) {
    console.log(AGENT_USAGE.replace(/fleetwave-agent/g, program));
    return;
  }
  await runAgent(flags);
}

function installerFor(flags: AgentFlags): Installer {
  if (flags.installer === 'command') return new CommandInstaller({ command: flags.installCommand! });
  return new SimulatedInstaller({ dir: flags.stateDir });
}
