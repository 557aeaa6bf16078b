// A PostgreSQL cluster of the test's own (initdb in a temp dir, a free port, trust auth), that a
// test may stop and start again without disturbing the machine's shared server. As root the
// server runs as the `postgres` user (PostgreSQL refuses to run as root).
import { execFile, spawnSync } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeTcpPort } from './tcp-ports.js';

const run = promisify(execFile);

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return null;
}

const asRoot = process.getuid?.() === 0;

function postgresUser(): { uid: number; gid: number } | null {
  const id = spawnSync('id', ['-u', 'postgres']);
  const gid = spawnSync('id', ['-g', 'postgres']);
  if (id.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(id.stdout.toString()), gid: Number(gid.stdout.toString()) };
}

export function privatePostgresSkip(): false | string {
  if (!binDir()) return 'PostgreSQL server binaries (initdb) not installed';
  if (asRoot && !postgresUser()) return 'running as root without a postgres user to run a private PostgreSQL';
  return false;
}

export interface PrivatePostgres {
  url: string;
  /** Immediate shutdown (like a crash: no checkpoint), waits until it is down. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir()!;
  const dir = await mkdtemp(join(tmpdir(), 'vigil-pg-'));
  if (asRoot) {
    const user = postgresUser()!;
    await chown(dir, user.uid, user.gid);
  }
  const as = async (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    await run(cmd, argv, { timeout: 60_000 });
  };
  const port = await freeTcpPort();
  const data = join(dir, 'data');
  // -N: no fsync at initdb; the server itself keeps fsync (a drill must not lose what it acked).
  await as('initdb', ['-N', '-A', 'trust', '-U', 'postgres', '-D', data]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  const start = () => as('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const kill = () => as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kill,
    start,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
