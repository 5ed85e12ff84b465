/**
 * Cursor paging: the hub's keyset cursors go forward only, so the pages seen are a stack of
 * the cursors that started them; Previous pops one.
 */
export function Pager({
  stack,
  next,
  onChange,
}: {
  stack: string[];
  next: string | null | undefined;
  onChange: (stack: string[]) => void;
}) {
  return (
    <nav class="pager" aria-label="pages">
      <button disabled={stack.length === 0} onClick={() => onChange(stack.slice(0, -1))}>
        Previous
      </button>
      <span data-page>page {stack.length + 1}</span>
      <button disabled={!next} onClick={() => next && onChange([...stack, next])}>
        Next
      </button>
    </nav>
  );
}
