/**
 * Paging through continuation tokens, which only go forward: the start token of every page seen
 * so far is kept, so "previous" returns to the one before. The first page starts at null.
 */
export type TokenStack = readonly (string | null)[];

export const FIRST_PAGE: TokenStack = [null];

export function currentToken(stack: TokenStack): string | null {
  return stack.at(-1) ?? null;
}

export function nextPage(stack: TokenStack, token: string): TokenStack {
  return [...stack, token];
}

export function previousPage(stack: TokenStack): TokenStack {
  return stack.length > 1 ? stack.slice(0, -1) : stack;
}

/** 1 for the first page. */
export function pageNumber(stack: TokenStack): number {
  return stack.length;
}
