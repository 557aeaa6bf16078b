// Starts a real Vigil app on ephemeral ports in a temporary data dir, and helpers that act as
// a user (login, create devices) and wait for eventually-consistent results.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App, type AppOverrides } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';

export const ADMIN_PASSWORD = 'test-password-123';

export interface Running {
  app: App;
  http: string;
  mqttPort: number;
  coapPort: number;
  dataDir: string;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export async function tempDir(prefix = 'vigil-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function startVigil(env: Record<string, string> = {}, dataDir?: string, overrides: AppOverrides = {}): Promise<Running> {
  const dir = dataDir ?? (await tempDir());
  const config = loadConfig(
    { VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD, VIGIL_LOG_LEVEL: 'silent', ...env },
    { httpPort: 0, mqttPort: 0, coapPort: 0, host: '127.0.0.1', dataDir: dir },
  );
  const app = await buildApp(config, { logger: createLogger(config.logLevel), ...overrides });
  const ports = await app.listen();
  return {
    app,
    http: `http://127.0.0.1:${ports.httpPort}`,
    mqttPort: ports.mqttPort,
    coapPort: ports.coapPort,
    dataDir: dir,
    async stop(options = {}) {
      await app.close();
      if (!options.keepData) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function request<T = any>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] ??= 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // leave as text (e.g. /metrics)
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export async function login(base: string, email = 'admin@localhost', password = ADMIN_PASSWORD): Promise<string> {
  const res = await request(base, 'POST', '/api/v1/auth/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken as string;
}

export async function createDevice(base: string, token: string, name = 'sensor-1', extra: Record<string, unknown> = {}) {
  const res = await request(base, 'POST', '/api/v1/devices', { token, body: { name, ...extra } });
  if (res.status !== 201) throw new Error(`create device failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; accessToken: string; name: string; status: string };
}

/** Polls fn until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
