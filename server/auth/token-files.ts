import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ROLES, subjectSchema, tokenIdSchema } from './tokens.js';

/**
 * Two small append-only files in the data dir, both mode 0600, one JSON object a line:
 *
 * - `tokens.jsonl`: what `switchboard token create` minted (id, role, subject, queues,
 *   issue and expiry times; never the token). Minting happens in the CLI from the secret,
 *   so this file is the only record of it; `token list` and `GET /api/v1/tokens` read it.
 * - `revocations.jsonl`: revocations the CLI made while no hub was running. The hub applies
 *   every one it does not hold yet when it starts (before its ports take tokens), through
 *   the same `token.revoke` command as the REST API, so from then on they live in its WAL
 *   and snapshots. The file is never rewritten: applying it again changes nothing.
 */
export const MINTED_FILE = 'tokens.jsonl';
export const REVOCATIONS_FILE = 'revocations.jsonl';

/** Files larger than this are read up to here: a runaway file cannot exhaust memory. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_LINE_CHARS = 8192;

export const mintedRecordSchema = z.object({
  id: tokenIdSchema,
  role: z.enum(ROLES),
  subject: subjectSchema.optional(),
  queues: z.array(z.string().min(1).max(129)).max(256).optional(),
  issuedAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().nonnegative().optional(),
});
export type MintedRecord = z.infer<typeof mintedRecordSchema>;

export const revocationRequestSchema = z
  .object({
    tokenId: tokenIdSchema.optional(),
    subject: subjectSchema.optional(),
    /** Unix ms: tokens of `subject` issued at or before it. */
    issuedBefore: z.number().int().nonnegative().optional(),
    revokedAt: z.number().int().nonnegative(),
    reason: z.string().max(512).optional(),
  })
  .refine((r) => (r.tokenId === undefined) !== (r.subject === undefined), {
    message: 'names exactly one of tokenId and subject',
  });
export type RevocationRequest = z.infer<typeof revocationRequestSchema>;

/** Append one record (fsynced: a revocation the CLI reported must survive a power cut). */
export function appendRecord(file: string, record: object): void {
  const fd = openSync(file, 'a', 0o600);
  try {
    // An existing file created wider (by hand, by a umask) is narrowed: it names subjects.
    if ((fstatSync(fd).mode & 0o077) !== 0) chmodSync(file, 0o600);
    writeSync(fd, `${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface ReadResult<T> {
  records: T[];
  /** Lines that did not parse or validate (a hand edit, a torn write): skipped, counted. */
  skipped: number;
}

export function readRecords<T>(file: string, schema: z.ZodType<T>): ReadResult<T> {
  if (!existsSync(file)) return { records: [], skipped: 0 };
  const fd = openSync(file, 'r');
  let text: string;
  try {
    const size = Math.min(fstatSync(fd).size, MAX_FILE_BYTES);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    text = buf.subarray(0, off).toString('utf8');
  } finally {
    closeSync(fd);
  }
  const records: T[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line.length > MAX_LINE_CHARS) {
      skipped++;
      continue;
    }
    try {
      const parsed = schema.safeParse(JSON.parse(line));
      if (parsed.success) records.push(parsed.data);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}

export function mintedFile(dataDir: string): string {
  return path.join(dataDir, MINTED_FILE);
}

export function revocationsFile(dataDir: string): string {
  return path.join(dataDir, REVOCATIONS_FILE);
}

export function readMinted(dataDir: string): ReadResult<MintedRecord> {
  return readRecords(mintedFile(dataDir), mintedRecordSchema);
}

export function readRevocationRequests(dataDir: string): ReadResult<RevocationRequest> {
  return readRecords(revocationsFile(dataDir), revocationRequestSchema);
}

/** The metadata of a minted token as it is recorded: no undefined fields, never the token. */
export function toMintedRecord(m: {
  id: string;
  role: MintedRecord['role'];
  subject: string | undefined;
  queues: string[] | undefined;
  issuedAt: number;
  expiresAt: number | undefined;
}): MintedRecord {
  return {
    id: m.id,
    role: m.role,
    ...(m.subject === undefined ? {} : { subject: m.subject }),
    ...(m.queues === undefined ? {} : { queues: m.queues }),
    issuedAt: m.issuedAt,
    ...(m.expiresAt === undefined ? {} : { expiresAt: m.expiresAt }),
  };
}
