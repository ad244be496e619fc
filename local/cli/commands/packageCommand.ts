import type { Command } from 'commander';
import { resolve } from 'node:path';
import { packageApp } from '../../packaging/packageApp';

/** The repository root, from dist/local/cli/commands. */
const REPO_DIR = resolve(__dirname, '../../../..');

/** `fleetwave package`: the deployable function app folder and zip (npm run package). */
export function registerPackageCommand(program: Command): void {
  program
    .command('package')
    .description('Build the deployable function app: a folder with only the app and its production dependencies, and its zip.')
    .option('--out <dir>', 'the folder to write; the zip goes next to it as <dir>.zip', 'build/app')
    .action(async (flags: { out: string }) => {
      const packaged = await packageApp({ repoDir: REPO_DIR, outDir: resolve(flags.out), log: console.log });
      console.log(`deploy ${packaged.zip} (az functionapp deployment source config-zip), or publish ${packaged.dir} with Core Tools.`);
    });
}
