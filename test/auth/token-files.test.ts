/**
 * tokens.jsonl and revocations.jsonl as an operator's disk holds them: created 0600 (and
 * narrowed if someone widened them), appended one line a record, read back tolerant of hand
 * edits and torn writes (skipped and counted, never a crash), bounded in what is read.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  appendRecord,
  mintedFile,
  readMinted,
  readRevocationRequests,
  revocationRequestSchema,
  revocationsFile,
  toMintedRecord,
} from '../../server/auth/token-files.js';
import { issueToken } from '../../server/auth/index.js';

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-token-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (f: string): number => statSync(f).mode & 0o777;

t.test('minted tokens: recorded without the token, read back', async (t) => {
  const dir = tmp(t);
  t.same(readMinted(dir), { records: [], skipped: 0 }, 'no file yet: nothing, no error');
  const a = await issueToken('secret-secret-secret', {
    role: 'worker',
    subject: 'ci',
    queues: ['builds.*'],
    ttl: '1d',
  });
  const b = await issueToken('secret-secret-secret', { role: 'admin' });
  appendRecord(mintedFile(dir), toMintedRecord(a));
  appendRecord(mintedFile(dir), toMintedRecord(b));
  t.equal(mode(mintedFile(dir)), 0o600, 'created 0600: it names subjects');
  const text = readFileSync(mintedFile(dir), 'utf8');
  t.notOk(text.includes(a.token) || text.includes(b.token), 'no token is written');
  t.equal(text.split('\n').filter(Boolean).length, 2, 'one line a record');

  const { records, skipped } = readMinted(dir);
  t.equal(skipped, 0);
  t.same(records, [
    {
      id: a.id,
      role: 'worker',
      subject: 'ci',
      queues: ['builds.*'],
      issuedAt: a.issuedAt,
      expiresAt: a.expiresAt,
    },
    { id: b.id, role: 'admin', issuedAt: b.issuedAt },
  ]);
  t.notOk('subject' in records[1]!, 'absent fields stay absent (no undefined, no null)');
});

t.test('a file someone widened is narrowed back to 0600 on the next append', async (t) => {
  const dir = tmp(t);
  const f = revocationsFile(dir);
  writeFileSync(f, '');
  chmodSync(f, 0o644);
  appendRecord(f, { tokenId: 'abc', revokedAt: 1 });
  t.equal(mode(f), 0o600);
  t.same(readRevocationRequests(dir).records, [{ tokenId: 'abc', revokedAt: 1 }]);
});

t.test('lines that do not parse or validate are skipped and counted', async (t) => {
  const dir = tmp(t);
  const good = { tokenId: 'tok-1', revokedAt: 10, reason: 'lost laptop' };
  const bySubject = { subject: 'ci', issuedBefore: 5, revokedAt: 11 };
  const lines = [
    JSON.stringify(good),
    '',
    '   ',
    '{"tokenId": "tok-2", "revokedAt": 12', // torn write
    'not json at all',
    JSON.stringify({ tokenId: 'tok-3', subject: 'both', revokedAt: 1 }), // names both
    JSON.stringify({ revokedAt: 1 }), // names neither
    JSON.stringify({ tokenId: 'has space', revokedAt: 1 }), // not a token id
    JSON.stringify({ tokenId: 'tok-4', revokedAt: -1 }),
    JSON.stringify({ tokenId: 'tok-5', revokedAt: 1, reason: 'x'.repeat(600) }),
    JSON.stringify({ tokenId: 'tok-6', revokedAt: 1, pad: 'y'.repeat(9000) }), // over a line
    '[]',
    'null',
    JSON.stringify(bySubject),
  ];
  writeFileSync(revocationsFile(dir), lines.join('\n'));
  const { records, skipped } = readRevocationRequests(dir);
  t.same(records, [good, bySubject], 'the valid ones, in file order');
  t.equal(skipped, 10, 'every bad line counted, blank lines not');

  t.notOk(revocationRequestSchema.safeParse({ tokenId: 'a', subject: 'b', revokedAt: 1 }).success);
  t.match(
    revocationRequestSchema.safeParse({ revokedAt: 1 }).error?.issues[0]?.message,
    /exactly one of tokenId and subject/,
  );
});

t.test('a runaway file is read up to 16 MiB, not into memory whole', async (t) => {
  const dir = tmp(t);
  const line = `${JSON.stringify({ id: 'abcdefghijklmnopqrstuv', role: 'worker', issuedAt: 1 })}\n`;
  const count = Math.ceil((17 * 1024 * 1024) / line.length);
  writeFileSync(mintedFile(dir), line.repeat(count));
  const { records, skipped } = readMinted(dir);
  const fit = Math.floor((16 * 1024 * 1024) / line.length);
  t.equal(records.length, fit, 'the records within the first 16 MiB');
  t.ok(skipped <= 1, 'at most the line cut at the bound is skipped');
  t.ok(records.length < count, 'the rest is not read');
});
