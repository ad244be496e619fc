#!/usr/bin/env node
import { Command } from 'commander';
import { registerDeviceCommand } from './commands/deviceCommand';
import { registerFirmwareCommand } from './commands/firmwareCommand';
import { registerFleetCommand } from './commands/fleetCommand';
import { registerHostCommand } from './commands/hostCommand';
import { registerHubCommand } from './commands/hubCommand';
import { registerPackageCommand } from './commands/packageCommand';
import { registerRolloutCommand } from './commands/rolloutCommand';
import { registerUpCommands } from './commands/upCommand';

const program = new Command('fleetwave')
  .description('Firmware rollouts for Azure IoT Hub fleets, and the local stack to develop them on.')
  .showHelpAfterError()
  // Options belong to the command they follow, so `hub --data-dir` and `hub device add --data-dir` don't collide.
  .enablePositionalOptions();

registerHubCommand(program);
registerHostCommand(program);
registerDeviceCommand(program);
registerFleetCommand(program);
registerFirmwareCommand(program);
registerRolloutCommand(program);
registerUpCommands(program);
registerPackageCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`fleetwave: ${(error as Error).message ?? error}`);
  process.exitCode = 1;
});
