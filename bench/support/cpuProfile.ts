/**
 * Preloaded (node --require) into the processes of a benchmark's parts when
 * FLEETWAVE_BENCH_PROFILE names a directory: SIGUSR2 starts the V8 CPU profiler, and exit writes
 * <dir>/<command>-<pid>.cpuprofile (Chrome DevTools or speedscope open it). Benchmarks send the
 * signal when the measured window opens, so start-up stays out of the profile.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.FLEETWAVE_BENCH_PROFILE;
if (dir) {
  const session = new Session();
  let profiling = false;
  process.on('SIGUSR2', () => {
    if (profiling) return;
    profiling = true;
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.start');
  });
  // The session of this thread answers synchronously, so the profile is written before exit.
  process.on('exit', () => {
    if (!profiling) return;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `${process.argv[2] ?? 'node'}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

/** Makes every child process started from now on load this module, when profiling is asked for. */
export function profileChildProcesses(): boolean {
  if (!process.env.FLEETWAVE_BENCH_PROFILE) return false;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${__filename}`.trim();
  return true;
}
