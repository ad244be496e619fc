/**
 * The list of rollouts behind GET /api/rollouts, kept by one durable entity: an entry per rollout
 * (tens of bytes, so it grows with the number of rollouts, never with a fleet), newest first.
 *
 * Paging is by position in that order, not by offset: the continuation names the last entry of
 * the page, so rollouts created between two page reads do not shift or repeat entries.
 */
import { compareCodeUnits } from './identifiers';
import type { RolloutState } from './rolloutStatus';

export interface CatalogEntry {
  id: string;
  createdAt: string;
  firmwareVersion: string;
  state: RolloutState;
  updatedAt: string;
}

export interface RolloutCatalogState {
  entries: CatalogEntry[];
}

/** Where the next page starts: after this entry in newest-first order. */
export interface CatalogCursor {
  createdAt: string;
  id: string;
}

export const DEFAULT_CATALOG_PAGE = 20;
export const MAX_CATALOG_PAGE = 100;

export function emptyCatalog(): RolloutCatalogState {
  return { entries: [] };
}

/** Adds a rollout; registering it again (a replay, a retry) keeps the first entry. */
export function registerRollout(catalog: RolloutCatalogState, entry: CatalogEntry): RolloutCatalogState {
  if (catalog.entries.some((item) => item.id === entry.id)) return catalog;
  return { entries: [...catalog.entries, entry] };
}

export function updateRolloutState(catalog: RolloutCatalogState, id: string, state: RolloutState, at: string): RolloutCatalogState {
  if (!catalog.entries.some((item) => item.id === id)) return catalog;
  return { entries: catalog.entries.map((item) => (item.id === id ? { ...item, state, updatedAt: at } : item)) };
}

/** Newest first; rollouts created in the same millisecond by id. */
export function compareNewestFirst(a: CatalogCursor, b: CatalogCursor): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return compareCodeUnits(a.id, b.id);
}

export function catalogPage(
  catalog: RolloutCatalogState,
  top: number,
  after?: CatalogCursor,
): { items: CatalogEntry[]; next: CatalogCursor | null } {
  const sorted = [...catalog.entries].sort(compareNewestFirst);
  const start = after === undefined ? 0 : sorted.findIndex((entry) => compareNewestFirst(entry, after) > 0);
  const items = start < 0 ? [] : sorted.slice(start, start + top);
  const last = items[items.length - 1];
  const more = start >= 0 && start + top < sorted.length;
  return { items, next: more && last !== undefined ? { createdAt: last.createdAt, id: last.id } : null };
}
