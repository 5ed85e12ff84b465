import * as z from 'zod';

/**
 * Topic names are subjects, as in NATS: tokens separated by dots (`orders.eu.created`).
 * A subscription pattern may use `*` for exactly one token and `>` as its last token for
 * one or more tokens (`orders.*.created`, `orders.>`). Topics that are published carry no
 * wildcard. Topics starting with `$sys.` are the hub's own lifecycle events: only the hub
 * publishes them and only admins subscribe; a pattern starting with a wildcard (`>`)
 * never matches them, so a catch-all subscriber does not get the hub's events by accident.
 */
export const MAX_SUBJECT_LENGTH = 256;
export const MAX_SUBJECT_TOKENS = 16;
export const SYSTEM_PREFIX = '$sys.';

const TOKEN = /^[A-Za-z0-9_\-:$]+$/;

/** Why `subject` is not a valid topic (wildcards: false) or pattern (true); undefined if it is. */
export function subjectProblem(subject: string, wildcards: boolean): string | undefined {
  if (subject.length === 0) return 'is empty';
  if (subject.length > MAX_SUBJECT_LENGTH) return `is longer than ${MAX_SUBJECT_LENGTH} characters`;
  const tokens = subject.split('.');
  if (tokens.length > MAX_SUBJECT_TOKENS) return `has more than ${MAX_SUBJECT_TOKENS} tokens`;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '*' || tok === '>') {
      if (!wildcards) return `has a wildcard "${tok}": a published topic names one subject`;
      if (tok === '>' && i !== tokens.length - 1) return 'has ">" before its last token';
      continue;
    }
    if (tok.length === 0) return 'has an empty token (two dots, or a dot at an end)';
    if (!TOKEN.test(tok))
      return `has token "${tok}": use letters, digits, "_", "-", ":", "$" between dots`;
  }
  return undefined;
}

export const topicSchema = z.string().superRefine((s, ctx) => {
  const problem = subjectProblem(s, false);
  if (problem) ctx.addIssue({ code: 'custom', message: `topic ${problem}` });
});

export const patternSchema = z.string().superRefine((s, ctx) => {
  const problem = subjectProblem(s, true);
  if (problem) ctx.addIssue({ code: 'custom', message: `pattern ${problem}` });
});

/** Whether `topic` (no wildcards) matches `pattern`. */
export function subjectMatches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true;
  if (isSystemSubject(topic) && !isSystemSubject(pattern)) return false;
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    const tok = p[i]!;
    if (tok === '>') return t.length > i;
    if (i >= t.length) return false;
    if (tok !== '*' && tok !== t[i]) return false;
  }
  return p.length === t.length;
}

/**
 * Whether everything `inner` can match, `outer` matches too: a token scoped to
 * `orders.>` may subscribe to `orders.*.created` but not to `>`.
 */
export function subjectCovers(outer: string, inner: string): boolean {
  const o = outer.split('.');
  const n = inner.split('.');
  for (let i = 0; i < o.length; i++) {
    const tok = o[i]!;
    if (tok === '>') return n.length > i;
    if (i >= n.length) return false;
    const other = n[i]!;
    if (other === '>') return false; // inner matches more tokens than outer allows here
    if (tok === '*') continue;
    if (other === '*' || other !== tok) return false;
  }
  return o.length === n.length;
}

/** A `$sys` topic or pattern. A pattern starting with a wildcard never matches one. */
export function isSystemSubject(subject: string): boolean {
  return subject === '$sys' || subject.startsWith(SYSTEM_PREFIX);
}
