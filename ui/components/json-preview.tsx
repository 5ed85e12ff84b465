/** At most this many characters of a payload or result are shown: a 1 MB payload stays readable. */
export const PREVIEW_CHARS = 4096;

export function JsonPreview({ value, label }: { value: unknown; label: string }) {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value, null, 2) ?? String(value);
  const cut = text.length > PREVIEW_CHARS;
  return (
    <section aria-label={label}>
      <h3>{label}</h3>
      <pre data-json={label}>{cut ? text.slice(0, PREVIEW_CHARS) + '\n…' : text}</pre>
      {cut && (
        <p>
          <small>
            first {PREVIEW_CHARS} of {text.length} characters
          </small>
        </p>
      )}
    </section>
  );
}
