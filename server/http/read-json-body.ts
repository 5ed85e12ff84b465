import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../protocol/index.js';
import { LimitName, type LimitNameValue } from '../hub/limit-names.js';
import { HttpError } from './http-error.js';
import { jsonDepth } from './json-depth.js';

export interface BodyLimits {
  maxBodyBytes: number;
  maxJsonDepth: number;
}

/**
 * A route's own reading of a body it knows the shape of (Route.decodeBody), tried before
 * JSON.parse, after the same size limit: its value, or undefined for the plain path.
 */
export type BodyDecoder = (raw: Buffer, maxJsonDepth: number) => unknown;

/** How long a refused request's remaining body is read and thrown away after the answer. */
const DISCARD_MS = 2000;

/**
 * The content types a body may have: `application/json` or a `+json` type, any parameters,
 * charset (if named) utf-8. A body with no content type is read as JSON too, for scripts
 * that do not send one; anything else is 415 (curl's default `-d` type,
 * application/x-www-form-urlencoded, included: the body would be misread).
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  const [type, ...params] = header.toLowerCase().split(';');
  const media = type!.trim();
  if (media !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(media))
    return false;
  for (const p of params) {
    const [k, v] = p.split('=').map((x) => x.trim());
    if (k === 'charset' && v !== 'utf-8' && v !== 'utf8' && v !== '"utf-8"') return false;
  }
  return true;
}

/**
 * Read a JSON request body within the limits. A refused body is answered while the
 * request is still arriving, so the answer must survive it: the request is marked
 * `connection: close`, the rest of the body is read and discarded (never buffered) until
 * the answer is out, and the socket is closed after at most DISCARD_MS — a client
 * that keeps sending does not get a reset before it could read its 413.
 */
export function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: BodyLimits,
  onLimit: (limit: LimitNameValue) => void,
  decode?: BodyDecoder,
): Promise<unknown> {
  const refuse = (err: HttpError, limit: LimitNameValue): HttpError => {
    onLimit(limit);
    res.setHeader('connection', 'close');
    req.removeAllListeners('data');
    req.on('data', () => {});
    req.resume();
    res.once('finish', () => setTimeout(() => req.socket.destroy(), DISCARD_MS).unref());
    return err;
  };
  const hasBody =
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  if (hasBody && !isJsonContentType(req.headers['content-type'])) {
    return Promise.reject(
      refuse(
        new HttpError(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          `content-type ${JSON.stringify(req.headers['content-type'])} is not accepted; send the body as application/json`,
        ),
        LimitName.httpContentType,
      ),
    );
  }
  const tooLarge = (): HttpError =>
    refuse(
      new HttpError(ErrorCode.BODY_TOO_LARGE, `request body exceeds ${limits.maxBodyBytes} bytes`),
      LimitName.httpBodyTooLarge,
    );
  const announced = Number(req.headers['content-length']);
  if (announced > limits.maxBodyBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        done = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      if (size === 0) return resolve(undefined);
      const raw = Buffer.concat(chunks);
      const decoded = decode?.(raw, limits.maxJsonDepth);
      if (decoded !== undefined) return resolve(decoded);
      const text = raw.toString('utf8');
      const { depth, offset } = jsonDepth(text, limits.maxJsonDepth);
      if (depth > limits.maxJsonDepth) {
        onLimit(LimitName.httpJsonDepth);
        return reject(
          new HttpError(
            ErrorCode.INVALID_JSON,
            `request body nests arrays/objects deeper than ${limits.maxJsonDepth} levels (at byte ${offset})`,
          ),
        );
      }
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(
          new HttpError(
            ErrorCode.INVALID_JSON,
            `request body is not valid JSON: ${(err as Error).message}`,
          ),
        );
      }
    });
    req.on('error', (err) => {
      done = true;
      reject(err);
    });
  });
}
