// HTTPS from PEM files. The files are read at start and again on reload (SIGHUP), so a renewed
// certificate (certbot, cert-manager) takes effect without a restart; connections already open
// keep the old one.
import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}

/** Swaps the certificate of a listening HTTPS server; throws (keeping the old one) when the new files are bad. */
export function reloadTls(server: unknown, files: TlsFiles): void {
  (server as HttpsServer).setSecureContext(readTls(files));
}
