// Runs the real `vigil start` command as a child process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'vigil.js');

export interface VigilProcess {
  child: ChildProcess;
  http: string;
  mqttPort: number;
  output: () => string;
  exited: Promise<number | null>;
}

export function runVigil(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    // CoAP is on by default at UDP 5683: parallel test processes each take a free port instead.
    env: { ...process.env, VIGIL_LOG_LEVEL: 'warn', VIGIL_COAP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Starts vigil on ephemeral ports and resolves once it prints its ready line. */
export async function startVigilProcess(dataDir: string, env: Record<string, string> = {}): Promise<VigilProcess> {
  const run = runVigil(['start', '--http-port', '0', '--mqtt-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], env);
  // Generous: a start on a loaded 2-core machine (migrations, DuckDB open, web assets) can take 15 s+.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const match = /vigil ready: http:\/\/[^:]+:(\d+) mqtt:\/\/[^:]+:(\d+)/.exec(run.output());
    if (match) return { ...run, http: `http://127.0.0.1:${match[1]}`, mqttPort: Number(match[2]) };
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  run.child.kill('SIGKILL');
  throw new Error(`vigil did not start:\n${run.output()}`);
}
