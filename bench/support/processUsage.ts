import { readFileSync } from 'node:fs';

/** What the kernel counted for a process so far: peak resident memory and CPU time. */
export function processUsage(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakRssMiB = Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised name.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / 100;
  return { peakRssMiB, cpuSeconds };
}
