// `fleetwave host` on its own, for the benchmark to run the host as a separate process.
import { Command } from 'commander';
import { registerHostCommand } from '../../local/cli/commands/hostCommand';

const program = new Command('fleetwave').enablePositionalOptions();
registerHostCommand(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`fleetwave: ${(error as Error).message ?? error}`);
  process.exitCode = 1;
});
