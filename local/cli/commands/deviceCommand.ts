import type { Command } from 'commander';
import { agentMain } from '../../../device/cli/agentCli';

/**
 * `fleetwave device`: the device agent's own command line (`fleetwave-agent`, what a real Linux
 * device runs), passed through untouched so the two can never disagree.
 */
export function registerDeviceCommand(program: Command): void {
  program
    .command('device')
    .description('Run the firmware update agent for one device (the same as fleetwave-agent; --help lists its options).')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]')
    .action((args: string[]) => agentMain(args, 'fleetwave device'));
}
