import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerOptions as HttpServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import path from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { ErrorCode } from '../../protocol/error-registry.js';

/** `server.tls` as the config gives it: file paths, never the PEM itself. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Clients must present a certificate signed by one of these CAs (mutual TLS). */
  caFile?: string | undefined;
}

/** The PEM files read and checked: what a server needs to build its secure context. */
export interface TlsMaterial {
  /** Absolute paths (uWebSockets.js reads the files itself, by name). */
  files: Required<Pick<TlsFiles, 'certFile' | 'keyFile'>> & { caFile?: string };
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** SHA-256 fingerprint of the leaf certificate, for the log. */
  fingerprint: string;
  subject: string;
  notAfter: Date;
}

/**
 * A TLS file that cannot be used. `setting` is the config key it came from, so the start
 * error tells the operator which line to fix; the message never contains key material.
 */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
  readonly code = ErrorCode.TLS_INVALID;
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readPem(setting: string, file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EACCES'
          ? 'permission denied (the hub runs as a user that cannot read it)'
          : e.code === 'EISDIR'
            ? 'is a directory, not a file'
            : (e.code ?? e.message);
    throw new TlsFileError(setting, `cannot read ${file}: ${why}`);
  }
  if (!bytes.includes('-----BEGIN ')) {
    throw new TlsFileError(setting, `${file} is not a PEM file (no "-----BEGIN" line)`);
  }
  return bytes;
}

function parseCerts(setting: string, file: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString('latin1').match(CERT_BLOCK) ?? [];
  if (!blocks.length) {
    throw new TlsFileError(
      setting,
      `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new TlsFileError(
        setting,
        `${file}: certificate ${i + 1} cannot be parsed (${(err as Error).message})`,
      );
    }
  });
}

function parseKey(setting: string, file: string, pem: Buffer): KeyObject {
  if (pem.includes('ENCRYPTED')) {
    throw new TlsFileError(
      setting,
      `${file} is an encrypted private key; the hub needs it unencrypted (protect it with file mode 0600 instead)`,
    );
  }
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new TlsFileError(
      setting,
      `${file} holds no usable PEM private key (${(err as Error).message})`,
    );
  }
}

/**
 * Read and check the files: each readable and PEM, the key unencrypted and matching the
 * certificate, the CA bundle parseable. Throws TlsFileError naming the setting. Nothing
 * here logs or returns the key beyond the Buffer handed to the TLS layer.
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const certFile = path.resolve(files.certFile);
  const keyFile = path.resolve(files.keyFile);
  const caFile = files.caFile ? path.resolve(files.caFile) : undefined;
  const cert = readPem('server.tls.certFile', certFile);
  const key = readPem('server.tls.keyFile', keyFile);
  const [leaf] = parseCerts('server.tls.certFile', certFile, cert);
  const privateKey = parseKey('server.tls.keyFile', keyFile, key);
  if (!leaf!.checkPrivateKey(privateKey)) {
    throw new TlsFileError(
      'server.tls.keyFile',
      `${keyFile} is not the private key of the certificate in ${certFile} (server.tls.certFile)`,
    );
  }
  let ca: Buffer | undefined;
  if (caFile) {
    ca = readPem('server.tls.caFile', caFile);
    parseCerts('server.tls.caFile', caFile, ca);
  }
  return {
    files: { certFile, keyFile, ...(caFile ? { caFile } : {}) },
    cert,
    key,
    ...(ca ? { ca } : {}),
    fingerprint: leaf!.fingerprint256,
    subject: leaf!.subject.replace(/\n/g, ', '),
    notAfter: new Date(leaf!.validTo),
  };
}

/** Options for node's https/tls servers: with a CA, an unauthorized client is refused. */
export function nodeTlsOptions(m: TlsMaterial): SecureContextOptions & {
  requestCert: boolean;
  rejectUnauthorized: boolean;
} {
  return {
    cert: m.cert,
    key: m.key,
    ...(m.ca ? { ca: m.ca } : {}),
    requestCert: m.ca !== undefined,
    rejectUnauthorized: m.ca !== undefined,
  };
}

export type TlsReloadListener = (material: TlsMaterial) => void;

/**
 * The hub's certificate, shared by both ports, and reloadable. `reload` reads the same
 * files again; if they are not usable it throws and everything keeps the certificate it
 * has. Each listener (one per listening server) swaps in the new one for new connections;
 * connections already open keep the session they negotiated.
 */
export class TlsSource {
  private listeners = new Set<TlsReloadListener>();

  private constructor(
    private readonly files: TlsFiles,
    private material: TlsMaterial,
  ) {}

  static load(files: TlsFiles): TlsSource {
    return new TlsSource(files, loadTlsMaterial(files));
  }

  get current(): TlsMaterial {
    return this.material;
  }

  /** True when clients must present a certificate signed by `caFile`. */
  get requiresClientCert(): boolean {
    return this.material.ca !== undefined;
  }

  onReload(listener: TlsReloadListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Read the files again and hand them to every server. Throws TlsFileError (nothing
   * changed) when the files are not usable; returns the problems of servers that could not
   * take the new certificate (those keep serving the old one).
   */
  reload(): { material: TlsMaterial; failures: string[] } {
    const next = loadTlsMaterial(this.files);
    this.material = next;
    const failures: string[] = [];
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    return { material: next, failures };
  }
}

/**
 * node:http without TLS, node:https with it; on reload the https server swaps its secure
 * context (`setSecureContext`), so open connections keep theirs and new ones get the new
 * certificate. Used by the ws transport and the HTTP side port alike.
 */
export function createNodeServer(
  tls: TlsSource | undefined,
  options: HttpServerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): HttpServer | HttpsServer {
  if (!tls) return createHttpServer(options, handler);
  const server = createHttpsServer({ ...options, ...nodeTlsOptions(tls.current) }, handler);
  const detach = tls.onReload((m) => {
    const { requestCert: _r, rejectUnauthorized: _u, ...context } = nodeTlsOptions(m);
    server.setSecureContext(context);
  });
  server.once('close', detach);
  return server;
}
