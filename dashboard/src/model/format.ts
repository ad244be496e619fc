/** Display formatting shared by the views; pure, so the tests pin it down. */

/** 850 ms, 4.2 s, 3 min 20 s, 2 h 5 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

const BYTE_UNITS = ['bytes', 'KiB', 'MiB', 'GiB'] as const;

/** 512 bytes, 1.5 KiB, 12.0 MiB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** The first 12 hex digits of a hash, which tell images apart at a glance. */
export function shortHash(sha256: string): string {
  return sha256.length <= 12 ? sha256 : `${sha256.slice(0, 12)}…`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * An ISO time as the viewer's local `YYYY-MM-DD HH:MM:SS` (with `.mmm` when asked: a device's
 * steps are often apart by less than a second); what the API sent when it is not a time.
 */
export function formatTime(iso: string, withMilliseconds = false): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    (withMilliseconds ? `.${pad(date.getMilliseconds(), 3)}` : '')
  );
}

/** 12.5 %, 0 %, 100 %. */
export function formatPercent(percent: number): string {
  return `${Number(percent.toFixed(2))} %`;
}
