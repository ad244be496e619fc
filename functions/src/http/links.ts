import type { HttpRequest } from '@azure/functions';
import type { RolloutLinks } from '../../../contracts/rolloutApi';

/**
 * The URL of the rollouts collection as the caller reached it (`https://host/api/rollouts`), so
 * links work behind any host name and route prefix. The query string (which may carry the
 * function key as `code`) is never copied into a link.
 */
export function rolloutsBase(request: HttpRequest): string {
  const url = new URL(request.url);
  const path = url.pathname;
  const at = path.indexOf('/rollouts');
  const prefix = at < 0 ? `${path.replace(/\/+$/, '')}/rollouts` : path.slice(0, at + '/rollouts'.length);
  return `${url.origin}${prefix}`;
}

export function rolloutLinks(request: HttpRequest, rolloutId: string): RolloutLinks {
  const status = `${rolloutsBase(request)}/${encodeURIComponent(rolloutId)}`;
  return {
    status,
    devices: `${status}/devices`,
    pause: `${status}/pause`,
    resume: `${status}/resume`,
    approve: `${status}/approve`,
    cancel: `${status}/cancel`,
    retry: `${status}/retry`,
  };
}

export function deviceLink(request: HttpRequest, rolloutId: string, deviceId: string): string {
  return `${rolloutsBase(request)}/${encodeURIComponent(rolloutId)}/devices/${encodeURIComponent(deviceId)}`;
}
