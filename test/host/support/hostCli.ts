// The `fleetwave host` command on its own, for tests that run the host as a child process.
import { Command } from 'commander';
import { registerHostCommand } from '../../../local/cli/commands/hostCommand';

const program = new Command('fleetwave').enablePositionalOptions();
registerHostCommand(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`fleetwave: ${(error as Error).message ?? error}`);
  process.exitCode = 1;
});
