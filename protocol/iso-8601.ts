/**
 * ISO 8601 timestamps as the federation's clients write them. agmem sends Python's
 * `datetime.now(timezone.utc).isoformat()` ("2026-02-01T12:00:00.123456+00:00"), the seed's
 * examples "2026-02-01T12:00:00Z", and the reference coordinator accepts whatever
 * `datetime.fromisoformat` reads. This is that family, in extended format: a date, or a date
 * and a time separated by `T` or a space; minutes, seconds and a fraction of 1 to 9 digits
 * optional after the hour; an offset `Z`, `±HH`, `±HHMM` or `±HH:MM`. A timestamp without
 * an offset is UTC (Python would call it naive; the hub has no local time zone to give it).
 *
 * `Date.parse` is not used: it reads a date-time without an offset as local time, and rolls
 * 2026-02-30 over to March 2 where Python refuses it.
 */
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** The longest timestamp this accepts (a 9-digit fraction and an offset). */
export const ISO_8601_MAX_CHARS = 35;

/** Unix ms of an ISO 8601 timestamp, or undefined when `text` is not one (or names no real instant). */
export function parseIso8601(text: string): number | undefined {
  if (text.length > ISO_8601_MAX_CHARS) return undefined;
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', offset = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMin = 0;
  if (offset !== 'Z' && offset !== 'z') {
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (offset[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = frac === '' ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  date.setUTCFullYear(year);
  return date.getTime() - offsetMin * 60_000;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
