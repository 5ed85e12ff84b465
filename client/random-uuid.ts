/**
 * A v4 UUID from the Web Crypto global, which Node 20+, Deno, Bun and browsers all have, so the
 * SDK does not import node:crypto. Browsers only expose randomUUID in secure contexts (https,
 * localhost); elsewhere getRandomValues, which they always expose, builds the same format.
 */
export function randomUUID(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
