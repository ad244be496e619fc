/** The dashboard's places, addressed by the URL's hash so the page itself is one document. */
export type Route =
  | { view: 'list' }
  | { view: 'new' }
  | { view: 'rollout'; rolloutId: string }
  | { view: 'device'; rolloutId: string; deviceId: string }
  | { view: 'notFound'; hash: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '' || path === '/') return { view: 'list' };
  if (path === '/new') return { view: 'new' };
  const parts = path.replace(/^\//, '').split('/');
  try {
    if (parts[0] === 'rollouts' && parts.length === 2 && parts[1] !== '') {
      return { view: 'rollout', rolloutId: decodeURIComponent(parts[1]) };
    }
    if (parts[0] === 'rollouts' && parts.length === 4 && parts[1] !== '' && parts[2] === 'devices' && parts[3] !== '') {
      return { view: 'device', rolloutId: decodeURIComponent(parts[1]), deviceId: decodeURIComponent(parts[3]) };
    }
  } catch {
    // A malformed %-escape: no such place.
  }
  return { view: 'notFound', hash };
}

export const hrefs = {
  list: '#/',
  new: '#/new',
  rollout: (rolloutId: string) => `#/rollouts/${encodeURIComponent(rolloutId)}`,
  device: (rolloutId: string, deviceId: string) => `#/rollouts/${encodeURIComponent(rolloutId)}/devices/${encodeURIComponent(deviceId)}`,
};
