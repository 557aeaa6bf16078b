// A redis-server of the test's own on a free port (nothing on disk), that a test may shut down
// and start again on the same port, without disturbing the machine's shared Redis.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accepting, freeTcpPort } from './tcp-ports.js';

export function redisServerSkip(): false | string {
  return spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server binary not installed';
}

export interface PrivateRedis {
  url: string;
  /** Stops the server (SIGKILL: nothing is saved anyway) and waits for its exit. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freeTcpPort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!(await accepting(port))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('private redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, kill, start, stop: kill };
}
