import { nextPage, pageNumber, previousPage, type TokenStack } from '../model/tokenStack';

/**
 * Previous / next over continuation tokens (model/tokenStack.ts); `label` names what is paged,
 * for screen readers. `next` is the token the current page ended with: null on the last page.
 */
export function Pager({
  label,
  pages,
  next,
  onChange,
}: {
  label: string;
  pages: TokenStack;
  next: string | null;
  onChange: (pages: TokenStack) => void;
}) {
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={pageNumber(pages) <= 1} onClick={() => onChange(previousPage(pages))}>
        Previous
      </button>
      <span>Page {pageNumber(pages)}</span>
      <button type="button" disabled={next === null} onClick={() => next !== null && onChange(nextPage(pages, next))}>
        Next
      </button>
    </nav>
  );
}
