#!/usr/bin/env node
import { agentMain } from './agentCli';

agentMain(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`fleetwave-agent: ${(error as Error).message ?? error}`);
  process.exitCode = 1;
});
