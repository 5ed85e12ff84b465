import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

/** One golden frame: the decoded frame and the exact bytes the hub's encoder writes for it. */
export interface FrameFixture {
  name: string;
  /** Who sends it: decoded with decodeClientFrame (client) or decodeRaw + hub schemas (hub). */
  from: 'client' | 'hub';
  frame: Record<string, unknown> & { t: string };
  /** Space-separated lowercase hex bytes. */
  hex: string;
}

/** A malformed input the doc lists, with the error the hub answers it with. */
export interface MalformedFixture {
  name: string;
  hex: string;
  code: string;
  /** A regular expression the error message must match. */
  message: string;
  /** The request id the error frame must echo, when the frame has a readable one. */
  id?: number;
}

const readJson = <T>(file: string): T =>
  JSON.parse(readFileSync(new URL(`test/protocol/fixtures/${file}`, root), 'utf8')) as T;

export const frameFixtures = (): FrameFixture[] => readJson('frames.json');
export const malformedFixtures = (): MalformedFixture[] => readJson('malformed.json');

export const hexToBytes = (hex: string): Uint8Array =>
  Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
export const bytesToHex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');

/** One line of the doc's example session (§11), with the hex block under it if any. */
export interface SessionStep {
  /** 1-based line in docs/protocol.md, for messages. */
  line: number;
  who: string;
  direction: 'send' | 'receive';
  frame: Record<string, unknown> & { t: string };
  /** The bytes shown under the line, or undefined when the line has none. */
  hex: string | undefined;
}

const STEP = /^(\S+)\s+(→|←)\s+(\S+)\s+(\{.*\})(?:\s+\([^)]*\))?\s*$/;
const HEX_LINE = /^ {4}((?:[0-9a-f]{2} )*[0-9a-f]{2})\s*$/;

export const protocolDoc = (): string => readFileSync(new URL('docs/protocol.md', root), 'utf8');

/**
 * Every `who → t {json}` line of the doc's fenced blocks and the hex lines under it. A hex
 * line anywhere else is returned in `strayHex`, so a block the parser does not understand
 * fails the test instead of going unchecked.
 */
export function parseDocSession(doc: string): { steps: SessionStep[]; strayHex: number[] } {
  const steps: SessionStep[] = [];
  const strayHex: number[] = [];
  let current: SessionStep | undefined;
  let inFence = false;
  doc.split('\n').forEach((text, i) => {
    if (text.startsWith('```')) {
      inFence = !inFence;
      current = undefined;
      return;
    }
    const step = inFence ? STEP.exec(text) : null;
    if (step) {
      const frame = JSON.parse(step[4]!) as SessionStep['frame'];
      if (frame.t !== step[3]) throw new Error(`line ${i + 1}: label ${step[3]} but t=${frame.t}`);
      current = {
        line: i + 1,
        who: step[1]!,
        direction: step[2] === '→' ? 'send' : 'receive',
        frame,
        hex: undefined,
      };
      steps.push(current);
      return;
    }
    const hex = HEX_LINE.exec(text);
    if (hex) {
      if (current) current.hex = current.hex ? `${current.hex} ${hex[1]}` : hex[1];
      else strayHex.push(i + 1);
      return;
    }
    current = undefined;
  });
  return { steps, strayHex };
}
