import { z } from 'zod';

/**
 * `server.tls`: absent means plain ws:// and http://. The files are read and checked at
 * start (server/transport/tls-options.ts), and again on SIGHUP.
 */
export const tlsSchema = z
  .strictObject({
    certFile: z
      .string({ error: 'required when server.tls is set: the PEM certificate (chain) file' })
      .min(1),
    keyFile: z
      .string({ error: 'required when server.tls is set: the PEM private key file' })
      .min(1),
    /** Clients must present a certificate signed by a CA in this PEM file (mutual TLS). */
    caFile: z.string().min(1).optional(),
  })
  .optional();
