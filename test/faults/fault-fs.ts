// A LogFs that injects faults deterministically: short writes, a byte budget (a full disk that
// writes what fits, then fails with ENOSPC), failing fsyncs; and a real small tmpfs when root.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeLogFs, type LogFile, type LogFs } from '../../src/adapters/embedded/log-fs.js';

export interface Faults {
  /** Each write call writes at most this many bytes (a short write), when set. */
  maxBytesPerWrite: number | null;
  /** Bytes the "disk" still takes; null = unlimited. A write past it writes what fits, then ENOSPC. */
  spaceLeftBytes: number | null;
  /** The next this-many datasync calls fail with EIO. */
  failingSyncs: number;
  /** The next this-many truncate calls fail with EIO. */
  failingTruncates: number;
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export function faultyFs(): { fs: LogFs; faults: Faults } {
  const faults: Faults = { maxBytesPerWrite: null, spaceLeftBytes: null, failingSyncs: 0, failingTruncates: 0 };
  const fs: LogFs = {
    ...nodeLogFs,
    async open(path, mode) {
      const file = await nodeLogFs.open(path, mode);
      const faulty: LogFile = {
        ...file,
        // Gathered writes take the same faults as plain ones.
        writev: (buffers, position) => {
          const joined = Buffer.concat(buffers);
          return faulty.write(joined, 0, joined.length, position);
        },
        async write(buffer, offset, length, position) {
          let allowed = length;
          if (faults.maxBytesPerWrite !== null) allowed = Math.min(allowed, faults.maxBytesPerWrite);
          if (faults.spaceLeftBytes !== null) {
            if (faults.spaceLeftBytes === 0) throw errno('ENOSPC', 'no space left on device, write');
            allowed = Math.min(allowed, faults.spaceLeftBytes);
            faults.spaceLeftBytes -= allowed;
          }
          return file.write(buffer, offset, allowed, position);
        },
        async datasync() {
          if (faults.failingSyncs > 0) {
            faults.failingSyncs--;
            throw errno('EIO', 'i/o error, fdatasync');
          }
          return file.datasync();
        },
        async truncate(length) {
          if (faults.failingTruncates > 0) {
            faults.failingTruncates--;
            throw errno('EIO', 'i/o error, ftruncate');
          }
          return file.truncate(length);
        },
      };
      return faulty;
    },
  };
  return { fs, faults };
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Mounts a tmpfs of sizeBytes on a new directory (root only); null when that is not possible. */
export async function mountTmpfs(sizeBytes: number): Promise<{ dir: string; unmount: () => Promise<void> } | null> {
  if (!isRoot()) return null;
  const dir = await mkdtemp(join(tmpdir(), 'vigil-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    await rm(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    unmount: async () => {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Writes a filler file until the file system refuses, leaving at most leaveBytes free. */
export async function fillDisk(path: string, leaveBytes = 0): Promise<void> {
  const { open, statfs } = await import('node:fs/promises');
  const file = await open(path, 'a');
  try {
    for (let chunk = 1024 * 1024; chunk >= 512; ) {
      const stats = await statfs(join(path, '..'));
      const free = stats.bavail * stats.bsize;
      if (free <= leaveBytes) break;
      const size = Math.min(chunk, Math.max(512, free - leaveBytes));
      try {
        await file.write(Buffer.alloc(size, 1));
      } catch {
        chunk = Math.floor(chunk / 4);
      }
    }
  } finally {
    await file.close().catch(() => undefined);
  }
}
