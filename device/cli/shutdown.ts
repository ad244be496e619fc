/** Runs `stop` once on Ctrl-C or SIGTERM, then exits (with 1 if stopping failed). */
export function onShutdown(stop: () => Promise<unknown>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`could not stop cleanly: ${(error as Error).message ?? error}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
