// The signed-in session: the access token lives in memory only; the refresh token is kept in
// localStorage so a reload (or a deep link opened in a new tab) stays signed in. Every API call
// goes through `call`, which attaches the token and, on a 401, refreshes once and retries.
// Concurrent 401s share one refresh, because a refresh token may only be spent once.
import type { ApiCall, ApiRequest } from './generated';
import { roleCan, type Permission } from '../lib/permissions';

export const REFRESH_STORAGE_KEY = 'vigil.refreshToken';
const EMAIL_STORAGE_KEY = 'vigil.email';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The problem body's details, e.g. {problems: [{field, message}]} of a 422. */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface SessionOptions {
  fetch?: typeof fetch;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  baseUrl?: string;
}

export function buildUrl(baseUrl: string, path: string, query?: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `${baseUrl}${path}${qs ? `?${qs}` : ''}`;
}

export class Session {
  private accessToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly fetchFn: typeof fetch;
  private readonly storage: NonNullable<SessionOptions['storage']>;
  private readonly baseUrl: string;

  constructor(options: SessionOptions = {}) {
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.storage = options.storage ?? window.localStorage;
    this.baseUrl = options.baseUrl ?? '';
  }

  get email(): string | null {
    return this.storage.getItem(EMAIL_STORAGE_KEY);
  }

  get token(): string | null {
    return this.accessToken;
  }

  /** The signed-in user's role, read from the access token (the API enforces it; the UI only hides). */
  get role(): string | null {
    const payload = this.accessToken?.split('.')[1];
    if (!payload) return null;
    try {
      return (JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { role?: string }).role ?? null;
    } catch {
      return null;
    }
  }

  /** Whether the signed-in role holds a permission (mirrors the server's table; the API still enforces). */
  can(permission: Permission): boolean {
    return roleCan(this.role, permission);
  }

  /** Operators and up handle alarms; viewers only look (see docs/security.md for the role table). */
  get canWrite(): boolean {
    return this.role !== null && ['superadmin', 'admin', 'engineer', 'operator'].includes(this.role);
  }

  /** Engineers and up edit devices and dashboards (operators handle alarms only). */
  get canManage(): boolean {
    return this.role !== null && ['superadmin', 'admin', 'engineer'].includes(this.role);
  }

  get signedIn(): boolean {
    return this.accessToken !== null;
  }

  /** True when a stored refresh token may restore the session after a reload. */
  get canRestore(): boolean {
    return this.storage.getItem(REFRESH_STORAGE_KEY) !== null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private accept(pair: TokenPair): void {
    this.accessToken = pair.accessToken;
    this.storage.setItem(REFRESH_STORAGE_KEY, pair.refreshToken);
    this.scheduleRefresh(pair.expiresIn);
    this.changed();
  }

  // Refreshing before the access token expires spares every request (and the live connection's
  // next handshake) a 401 and a retry; the 401 path stays for a tab that slept through it.
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private scheduleRefresh(expiresInSec: number): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), Math.max(5, expiresInSec * 0.8) * 1000);
  }

  async login(email: string, password: string): Promise<void> {
    const pair = (await this.raw({ method: 'POST', path: '/api/v1/auth/login', body: { email, password } }, null)) as TokenPair;
    this.storage.setItem(EMAIL_STORAGE_KEY, email);
    this.accept(pair);
  }

  logout(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    this.accessToken = null;
    this.storage.removeItem(REFRESH_STORAGE_KEY);
    this.changed();
  }

  /** Exchanges the stored refresh token for a new pair; false (and signed out) when it is gone or rejected. */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const refreshToken = this.storage.getItem(REFRESH_STORAGE_KEY);
      if (!refreshToken) return false;
      try {
        this.accept((await this.raw({ method: 'POST', path: '/api/v1/auth/refresh', body: { refreshToken } }, null)) as TokenPair);
        return true;
      } catch (err) {
        // A network failure keeps the refresh token for the next try; a rejection ends the session.
        if (err instanceof ApiError) this.logout();
        return false;
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** The ApiCall the generated client functions take. */
  readonly call: ApiCall = async (request) => {
    const token = this.accessToken;
    try {
      return await this.raw(request, token);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      // Another call may already have refreshed while this one was in flight.
      if (this.accessToken === token && !(await this.refresh())) throw err;
      return this.raw(request, this.accessToken);
    }
  };

  private async raw(request: ApiRequest, token: string | null): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchFn(buildUrl(this.baseUrl, request.path, request.query), {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    if (!res.ok) {
      const problem = (body ?? {}) as { error?: string; message?: string; details?: unknown };
      throw new ApiError(res.status, problem.error ?? `HTTP_${res.status}`, problem.message ?? res.statusText, problem.details);
    }
    return body;
  }
}
