// A throwaway Mosquitto broker (the real one, Debian's package) on a free loopback port, with a
// password file: an "outside broker" that Vigil connects to as a client.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './harness.js';

export interface Mosquitto {
  url: string;
  stop(): Promise<void>;
}

/** The mosquitto binary, or null (skip reason outside CI). */
export function mosquittoBinary(): string | null {
  for (const path of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) {
    if (spawnSync('test', ['-x', path]).status === 0) return path;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}`);
}

/** Starts Mosquitto accepting only `username`/`password`. */
export async function startMosquitto(username: string, password: string): Promise<Mosquitto> {
  const binary = mosquittoBinary();
  if (!binary) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
  const dir = await tempDir('vigil-mosquitto-');
  const passwordFile = join(dir, 'passwords');
  const made = spawnSync('mosquitto_passwd', ['-b', '-c', passwordFile, username, password]);
  if (made.status !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr?.toString()}`);
  const port = await freePort();
  const configFile = join(dir, 'mosquitto.conf');
  await writeFile(configFile, `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwordFile}\npersistence false\n`);
  // Started as root, Mosquitto drops to its own user before reading the password file: the
  // temporary directory (0700) and the file must be readable to it.
  await chmod(dir, 0o755);
  await chmod(passwordFile, 0o644);
  const child: ChildProcess = spawn(binary, ['-c', configFile], { stdio: 'ignore' });
  await waitForPort(port, Date.now() + 10_000);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
