/** Loading and error lines, the same on every page. */
export function Status({ err, loading }: { err?: string | undefined; loading?: boolean }) {
  if (err)
    return (
      <p role="alert" class="error">
        {err}
      </p>
    );
  return loading ? <p aria-busy="true">Loading…</p> : null;
}
