/**
 * The function key: the page is opened as …/api/dashboard?code=KEY. The key is kept for the tab
 * (sessionStorage) and taken out of the address bar, so it is not left in a copied link,
 * bookmarks or screenshots.
 */
const STORAGE_KEY = 'fleetwave.functionKey';

export function takeFunctionKey(): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('code');
  if (fromUrl !== null) {
    if (fromUrl !== '') sessionStorage.setItem(STORAGE_KEY, fromUrl);
    url.searchParams.delete('code');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(STORAGE_KEY);
}

/** Where the API is: the page names it in <meta name="fleetwave-api">. */
export function apiBase(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="fleetwave-api"]')?.content ?? '/api';
}
