// Child processes the benchmarks measure: a Vigil server (the real `vigil start`) and a plain
// Mosquitto broker with a mosquitto_sub consumer as the baseline. Every port is ephemeral and
// bound to 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './stats.js';

export const BENCH_PASSWORD = 'bench-password-123';

/** The repository root (where package.json and bin/ live), from dist/bench/lib or bench/lib. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'vigil.js'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the repository root');
}

/** Resident memory of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU seconds (user + system) a process has used so far (Linux /proc, 100 ticks/s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Measures the CPU (in cores) used by a process and by this process while fn runs. */
/**
 * Runs fn and reports the CPU the server process (all its threads) and this generator used meanwhile,
 * as cores, and the server's CPU seconds: per point, the measure a busy shared machine disturbs least.
 */
export async function withCpu<T>(pid: number, fn: () => Promise<T>): Promise<T & { serverCores: number; generatorCores: number; serverCpuSec: number }> {
  const s0 = cpuSeconds(pid);
  const g0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const sec = (performance.now() - t0) / 1000;
  const g = process.cpuUsage(g0);
  const cores = (x: number) => Math.round((x / sec) * 100) / 100;
  const serverCpuSec = cpuSeconds(pid) - s0;
  return { ...r, serverCores: cores(serverCpuSec), generatorCores: cores((g.user + g.system) / 1e6), serverCpuSec: Math.round(serverCpuSec * 1000) / 1000 };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

export interface VigilProcess {
  http: string;
  httpPort: number;
  mqttPort: number;
  /** 0 when the server predates CoAP. */
  coapPort: number;
  dataDir: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface VigilStartOptions {
  dataDir?: string;
  env?: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=...']. */
  nodeArgs?: string[];
  /** How long start-up may take (default 60 s). */
  startTimeoutMs?: number;
}

/** Starts `vigil start` on ephemeral ports with the benchmark's limits. */
export async function startVigilProcess(o: VigilStartOptions = {}): Promise<VigilProcess> {
  const dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), 'vigil-bench-')));
  const child = spawn(
    process.execPath,
    [...(o.nodeArgs ?? []), join(repoRoot(), 'bin', 'vigil.js'), 'start', '--http-port', '0', '--mqtt-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir],
    {
      env: {
        ...process.env,
        VIGIL_ADMIN_PASSWORD: BENCH_PASSWORD,
        VIGIL_LOG_LEVEL: 'warn',
        // Benchmarks measure throughput, not the per-device and API protections.
        VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '1000000',
        VIGIL_API_RATE_LIMIT_PER_MIN: '100000000',
        VIGIL_MQTT_MAX_PAYLOAD_BYTES: String(1024 * 1024),
        // CoAP is on by default at UDP 5683; each bench server takes a free port instead.
        VIGIL_COAP_PORT: '0',
        ...o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const ready = await new Promise<{ httpPort: number; mqttPort: number; coapPort: number }>((resolve, reject) => {
    let out = '';
    const timeoutMs = o.startTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      // Not left running: the caller never gets a handle to stop it.
      child.kill('SIGKILL');
      reject(new Error(`vigil did not start in ${timeoutMs / 1000} s: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /vigil ready: http:\/\/[^:]+:(\d+) mqtt:\/\/[^:]+:(\d+)(?: coap:\/\/[^:]+:(\d+))?/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ httpPort: Number(m[1]), mqttPort: Number(m[2]), coapPort: Number(m[3] ?? 0) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vigil exited with ${code}: ${stderr}`));
    });
  });
  return {
    http: `http://127.0.0.1:${ready.httpPort}`,
    ...ready,
    dataDir,
    pid: child.pid!,
    child,
    stop: () => stopChild(child, 120_000),
  };
}

async function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export interface MosquittoProcess {
  port: number;
  pid: number;
  /** Messages the mosquitto_sub consumer has printed so far. */
  consumed(): number;
  stop(): Promise<void>;
}

export function mosquittoAvailable(): boolean {
  return ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto'].some(existsSync);
}

function which(names: string[]): string {
  for (const n of names) if (existsSync(n)) return n;
  throw new Error(`not installed: ${names[0]!.split('/').pop()} (apt-get install mosquitto mosquitto-clients)`);
}

/** A plain Mosquitto on an ephemeral port, no persistence, with a QoS 1 mosquitto_sub consumer. */
export async function startMosquitto(topic = 'v1/devices/me/telemetry'): Promise<MosquittoProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 0', 'max_inflight_messages 0', 'log_dest none', ''].join('\n'),
  );
  const broker = spawn(which(['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']), ['-c', conf], { stdio: 'ignore' });
  await waitForPort(port, 10_000);
  const sub = spawn(which(['/usr/bin/mosquitto_sub', '/usr/local/bin/mosquitto_sub']), ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-q', '1', '-i', 'bench-consumer'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let lines = 0;
  sub.stdout!.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
  });
  await sleep(300);
  return {
    port,
    pid: broker.pid!,
    consumed: () => lines,
    async stop() {
      await stopChild(sub, 5_000);
      await stopChild(broker, 5_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
