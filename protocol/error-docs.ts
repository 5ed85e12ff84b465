import { errorRegistry, type ErrorEntry, type ErrorSender } from './error-registry.js';

/**
 * The error tables of docs/protocol.md and docs/operations.md, rendered from the registry.
 * Each table sits between `<!-- errors:NAME:start -->` and `<!-- errors:NAME:end -->`;
 * scripts/render-error-docs.ts rewrites them and test/protocol/error-docs.test.ts fails
 * when a doc and the registry differ. Every code is in exactly one table.
 */
export interface ErrorTable {
  readonly name: 'wire' | 'task' | 'client' | 'ops';
  readonly doc: 'protocol.md' | 'operations.md';
  readonly header: readonly string[];
  readonly row: (e: ErrorEntry) => readonly string[];
}

const SENDER_LABEL: Record<ErrorSender, string> = {
  ws: 'WS',
  http: 'HTTP',
  task: 'task',
  store: 'store',
  nodes: 'nodes',
  config: 'config',
  client: 'SDK',
};

const code = (e: ErrorEntry): string => `\`${e.code}\``;
const senders = (e: ErrorEntry): string => e.sentBy.map((s) => SENDER_LABEL[s]).join(', ');
const statuses = (e: ErrorEntry): string =>
  e.status === undefined ? '' : [e.status, ...(e.otherStatuses ?? [])].join(', ');

export const errorTables: readonly ErrorTable[] = [
  {
    name: 'wire',
    doc: 'protocol.md',
    header: ['code', 'HTTP', 'sent by', 'sent when', 'fix'],
    row: (e) => [code(e), statuses(e), senders(e), e.meaning, e.fix],
  },
  {
    name: 'task',
    doc: 'protocol.md',
    header: ['code', 'set when', 'fix'],
    row: (e) => [code(e), e.meaning, e.fix],
  },
  {
    name: 'client',
    doc: 'protocol.md',
    header: ['code', 'raised when', 'fix'],
    row: (e) => [code(e), e.meaning, e.fix],
  },
  {
    name: 'ops',
    doc: 'operations.md',
    header: ['code', 'from', '`start` exits', 'meaning', 'fix'],
    row: (e) => [code(e), senders(e), e.exitCode?.toString() ?? '', e.meaning, e.fix],
  },
];

/** The table a code is listed in: the first whose senders it has, in this order. */
export function tableOf(e: ErrorEntry): ErrorTable['name'] {
  const has = (s: ErrorSender): boolean => e.sentBy.includes(s);
  if (has('ws') || has('http')) return 'wire';
  if (has('task')) return 'task';
  if (has('store') || has('nodes') || has('config')) return 'ops';
  return 'client';
}

/** The rows of one table: header first, then one per code, in registry order. */
export function tableRows(table: ErrorTable): string[][] {
  return [
    [...table.header],
    ...errorRegistry.filter((e) => tableOf(e) === table.name).map((e) => [...table.row(e)]),
  ];
}

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|');

/** A GitHub-flavoured markdown table (prettier aligns it afterwards). */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head!), line(head!.map(() => '---')), ...body.map(line)].join('\n');
}

export const startMarker = (name: string): string => `<!-- errors:${name}:start -->`;
export const endMarker = (name: string): string => `<!-- errors:${name}:end -->`;

/** The text between a table's markers, or undefined when the doc lacks them. */
export function tableBlock(doc: string, name: string): string | undefined {
  const start = doc.indexOf(startMarker(name));
  const end = doc.indexOf(endMarker(name));
  if (start < 0 || end < start) return undefined;
  return doc.slice(start + startMarker(name).length, end);
}

/** The doc with the table between its markers replaced by the registry's. */
export function replaceTable(doc: string, table: ErrorTable): string {
  const block = tableBlock(doc, table.name);
  if (block === undefined)
    throw new Error(`no ${startMarker(table.name)} … ${endMarker(table.name)} in ${table.doc}`);
  const start = doc.indexOf(startMarker(table.name)) + startMarker(table.name).length;
  return `${doc.slice(0, start)}\n\n${renderTable(tableRows(table))}\n\n${doc.slice(start + block.length)}`;
}

/** The cells of a markdown table as written (padding trimmed, the `---` row dropped). */
export function parseTable(block: string): string[][] {
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, l.endsWith('|') ? -1 : undefined)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|')),
    )
    .filter((cells) => !cells.every((c) => /^:?-+:?$/.test(c)));
}
