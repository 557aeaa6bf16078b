// One Vigil per data directory. DuckDB refuses a second opener with a raw "Could not set lock on
// file" error; this lock file answers first, in one line that names the process holding the
// directory. The file holds the owner's pid; a lock whose pid is no longer running (kill -9, a
// crash, a container restart that reused our own pid) is stale and taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE_NAME = 'vigil.pid';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number | null,
  ) {
    super(`another Vigil (${pid === null ? 'pid unknown' : `pid ${pid}`}) holds the data directory ${dataDir}; stop it or choose another with --data-dir`);
  }
}

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The pid in the lock file. An empty file may be a peer's lock being written this instant, so it
 *  is read again after a moment before it counts as garbage (stale). */
function readPidSettled(path: string): number | null {
  const pid = readPid(path);
  if (pid !== null) return pid;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  return readPid(path);
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. */
  release(): void;
}

/** Takes the directory's lock or throws DataDirLockedError. The directory must exist. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE_NAME);
  // Two attempts: the second follows the removal of a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644); // exclusive create: exactly one opener wins
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPidSettled(path);
      const stale = holder === null || holder === process.pid || !isRunning(holder);
      if (!stale) throw new DataDirLockedError(dataDir, holder);
      try {
        unlinkSync(path);
      } catch {
        // another starter removed it first; retry the exclusive create
      }
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return {
      path,
      release() {
        if (readPid(path) === process.pid) {
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        }
      },
    };
  }
  throw new DataDirLockedError(dataDir, readPid(path));
}

/** DuckDB's own refusal when the file is open elsewhere (the backstop behind the lock file). */
export function isDuckDbLockError(err: unknown): boolean {
  return /Could not set lock on file/i.test(String((err as Error)?.message ?? ''));
}
