import { InvalidArgumentError, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FirmwareUpdateAgent } from '../../../device/agent/FirmwareUpdateAgent';
import { CommandInstaller } from '../../../device/install/commandInstaller';
import type { Installer } from '../../../device/install/Installer';
import { SimulatedInstaller } from '../../../device/install/simulatedInstaller';
import { onShutdown } from '../shutdown';

interface DeviceFlags {
  connectionString: string;
  stateDir: string;
  ca?: string;
  installer: 'simulated' | 'command';
  installCommand?: string;
  fw: string;
  allowInsecureDownloads: boolean;
}

/** `fleetwave device`: one firmware update agent, what a real Linux device runs. */
export function registerDeviceCommand(program: Command): void {
  program
    .command('device')
    .description('Run the firmware update agent for one device (what a real Linux device runs).')
    .requiredOption(
      '--connection-string <cs>',
      'the device connection string (HostName=…;DeviceId=…;SharedAccessKey=…[;GatewayHostName=…])',
    )
    .requiredOption('--state-dir <dir>', 'where the agent keeps its state and downloads (survives restarts)')
    .option('--ca <file>', 'PEM of an extra CA to trust for the hub and image downloads (the local stack: DATA_DIR/tls/ca.pem)')
    .option('--installer <kind>', 'how images are installed: simulated | command', parseInstaller, 'simulated')
    .option('--install-command <cmd>', 'with --installer command: the command to run; the image path is appended')
    .option('--fw <version>', 'the version the device runs before any update', '1.0.0')
    .option('--allow-insecure-downloads', 'accept http:// image URIs', false)
    .action(async (flags: DeviceFlags) => {
      const stateDir = resolve(flags.stateDir);
      const agent = new FirmwareUpdateAgent({
        connectionString: flags.connectionString,
        stateDir,
        installer: installerFor(flags, stateDir),
        initialFwVersion: flags.fw,
        allowInsecureDownloads: flags.allowInsecureDownloads,
        ...(flags.ca ? { ca: readFileSync(flags.ca, 'utf8') } : {}),
        log: (message) => console.log(`${new Date().toISOString()} ${message}`),
      });
      await agent.start();
      console.log(`${new Date().toISOString()} agent running on firmware ${agent.currentFwVersion}; state in ${stateDir}`);
      onShutdown(() => agent.stop());
    });
}

function parseInstaller(value: string): 'simulated' | 'command' {
  if (value !== 'simulated' && value !== 'command') throw new InvalidArgumentError("must be 'simulated' or 'command'.");
  return value;
}

function installerFor(flags: DeviceFlags, stateDir: string): Installer {
  if (flags.installer === 'simulated') return new SimulatedInstaller({ dir: stateDir });
  if (!flags.installCommand) throw new Error('--installer command needs --install-command <cmd>.');
  return new CommandInstaller({ command: flags.installCommand });
}
