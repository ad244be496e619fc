export interface TokenPage<Item> {
  items: Item[];
  continuationToken: string | null;
}

/**
 * A filtered listing may answer short pages that still have a token: this follows the tokens,
 * asking each time for what is missing, until `size` items are in hand or the listing ends. The
 * token returned starts the next page.
 */
export async function fillPage<Item>(
  fetchPage: (continuationToken: string | null, top: number) => Promise<TokenPage<Item>>,
  start: string | null,
  size: number,
): Promise<TokenPage<Item>> {
  const items: Item[] = [];
  let token = start;
  do {
    const page = await fetchPage(token, size - items.length);
    items.push(...page.items.slice(0, size - items.length));
    token = page.continuationToken;
  } while (items.length < size && token !== null);
  return { items, continuationToken: token };
}
