// The few file-system calls the write-ahead log makes, behind a narrow interface so tests can
// inject short writes, fsync errors and a full disk deterministically (test/faults/).
import * as fsp from 'node:fs/promises';
import { constants } from 'node:fs';

export interface LogFile {
  /** Writes at an absolute position; may write fewer bytes than asked (the caller loops). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  /** Gathers buffers into one write at position; may also write fewer bytes than given. */
  writev(buffers: Uint8Array[], position: number): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface LogFs {
  /** `write` opens read-write, creating the file; never O_APPEND, so positioned writes land where asked. */
  open(path: string, mode: 'read' | 'write'): Promise<LogFile>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: string | Uint8Array, options?: { flag?: string }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  rm(path: string): Promise<void>;
  /** Makes a directory's entries (a new file's name) durable: fdatasync alone does not. */
  syncDir(path: string): Promise<void>;
}

export const nodeLogFs: LogFs = {
  async open(path, mode) {
    const flags = mode === 'read' ? constants.O_RDONLY : constants.O_RDWR | constants.O_CREAT;
    const handle = await fsp.open(path, flags, 0o644);
    return {
      write: (buffer, offset, length, position) => handle.write(buffer, offset, length, position),
      writev: (buffers, position) => handle.writev(buffers, position),
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      datasync: () => handle.datasync(),
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
    };
  },
  readFile: (path) => fsp.readFile(path),
  writeFile: (path, data, options) => fsp.writeFile(path, data, options),
  rename: (from, to) => fsp.rename(from, to),
  readdir: (path) => fsp.readdir(path),
  mkdir: async (path) => void (await fsp.mkdir(path, { recursive: true })),
  rm: (path) => fsp.rm(path, { force: true }),
  async syncDir(path) {
    const dir = await fsp.open(path, constants.O_RDONLY);
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  },
};

/**
 * Writes all buffers back to back at position: one gathered write, and if that comes back
 * short, the rest byte-exactly with plain writes. A write that makes no progress fails.
 */
export async function writeAllGathered(file: LogFile, buffers: Uint8Array[], position: number): Promise<void> {
  const total = buffers.reduce((sum, b) => sum + b.length, 0);
  const { bytesWritten } = await file.writev(buffers, position);
  if (bytesWritten >= total) return;
  const rest = Buffer.concat(buffers).subarray(Math.max(0, bytesWritten));
  await writeFully(file, rest, position + Math.max(0, bytesWritten));
}

/** Writes all of data at position, looping over short writes; a write that makes no progress fails. */
export async function writeFully(file: LogFile, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await file.write(data, written, data.length - written, position + written);
    if (!(bytesWritten > 0)) {
      throw Object.assign(new Error(`write made no progress after ${written} of ${data.length} bytes`), { code: 'ESHORTWRITE' });
    }
    written += bytesWritten;
  }
}
