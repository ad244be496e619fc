import type { ComponentChildren } from 'preact';

/**
 * A wide table's own horizontal scroller (the page itself never scrolls sideways on a phone). It
 * is focusable and named, so keyboard users can scroll it too (WCAG 2.1.1).
 */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
