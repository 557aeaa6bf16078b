import { describe, expect, test, vi } from 'vitest';
import { ApiError, REFRESH_STORAGE_KEY, Session, buildUrl } from './session';

/** A fake Vigil auth API: tokens are "access-N" / "refresh-N"; each refresh token works once. */
function fakeServer() {
  let generation = 1;
  let validAccess = 'access-1';
  const spent = new Set<string>();
  const calls: string[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    const path = String(url);
    calls.push(`${init?.method} ${path}`);
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
    const pair = () => {
      generation++;
      validAccess = `access-${generation}`;
      return { accessToken: validAccess, refreshToken: `refresh-${generation}`, expiresIn: 900 };
    };
    if (path === '/api/v1/auth/login') {
      const body = JSON.parse(String(init?.body));
      return body.password === 'right' ? json(200, pair()) : json(401, { error: 'UNAUTHORIZED', message: 'bad credentials' });
    }
    if (path === '/api/v1/auth/refresh') {
      const { refreshToken } = JSON.parse(String(init?.body));
      if (spent.has(refreshToken) || !refreshToken.startsWith('refresh-')) return json(401, { error: 'UNAUTHORIZED', message: 'spent' });
      spent.add(refreshToken);
      return json(200, pair());
    }
    const auth = (init?.headers as Record<string, string>)?.authorization;
    if (auth !== `Bearer ${validAccess}`) return json(401, { error: 'UNAUTHORIZED', message: 'expired' });
    return json(200, { ok: true, path });
  };
  return {
    fetch: fetch as typeof globalThis.fetch,
    calls,
    expireAccess: () => (validAccess = 'nobody-has-this'),
  };
}

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}

describe('Session', () => {
  test('login keeps the access token in memory and the refresh token in storage', async () => {
    const server = fakeServer();
    const storage = memoryStorage();
    const session = new Session({ fetch: server.fetch, storage });
    await session.login('a@b', 'right');
    expect(session.signedIn).toBe(true);
    expect(storage.getItem(REFRESH_STORAGE_KEY)).toBe('refresh-2');
    expect(await session.call({ method: 'GET', path: '/api/v1/devices' })).toEqual({ ok: true, path: '/api/v1/devices' });
  });

  test('a wrong password is an ApiError with the server code', async () => {
    const session = new Session({ fetch: fakeServer().fetch, storage: memoryStorage() });
    await expect(session.login('a@b', 'wrong')).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(session.signedIn).toBe(false);
  });

  test('an expired access token is refreshed once and the call retried, even for concurrent calls', async () => {
    const server = fakeServer();
    const session = new Session({ fetch: server.fetch, storage: memoryStorage() });
    await session.login('a@b', 'right');
    server.expireAccess();
    const results = await Promise.all([1, 2, 3].map((n) => session.call({ method: 'GET', path: `/x${n}` })));
    expect(results).toHaveLength(3);
    expect(server.calls.filter((c) => c.includes('/auth/refresh'))).toHaveLength(1);
    expect(session.token).toBe('access-3');
  });

  test('after a reload the stored refresh token restores the session', async () => {
    const server = fakeServer();
    const storage = memoryStorage();
    await new Session({ fetch: server.fetch, storage }).login('a@b', 'right');
    const reloaded = new Session({ fetch: server.fetch, storage });
    expect(reloaded.signedIn).toBe(false);
    expect(reloaded.canRestore).toBe(true);
    expect(await reloaded.refresh()).toBe(true);
    expect(reloaded.signedIn).toBe(true);
  });

  test('a rejected refresh signs out and the original error surfaces', async () => {
    const server = fakeServer();
    const storage = memoryStorage();
    const session = new Session({ fetch: server.fetch, storage });
    await session.login('a@b', 'right');
    storage.setItem(REFRESH_STORAGE_KEY, 'forged');
    server.expireAccess();
    let changes = 0;
    session.subscribe(() => changes++);
    await expect(session.call({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(ApiError);
    expect(session.signedIn).toBe(false);
    expect(session.canRestore).toBe(false);
    expect(changes).toBeGreaterThan(0);
  });

  test('logout forgets both tokens', async () => {
    const storage = memoryStorage();
    const session = new Session({ fetch: fakeServer().fetch, storage });
    await session.login('a@b', 'right');
    session.logout();
    expect(session.signedIn).toBe(false);
    expect(storage.getItem(REFRESH_STORAGE_KEY)).toBeNull();
  });
});

test('buildUrl leaves out empty query values', () => {
  expect(buildUrl('', '/api/v1/devices', { name: 'a b', type: undefined, status: '', limit: 5 })).toBe('/api/v1/devices?name=a+b&limit=5');
});

test('the access token is refreshed before it expires, without a failed request', async () => {
  vi.useFakeTimers();
  try {
    const server = fakeServer();
    const session = new Session({ fetch: server.fetch, storage: memoryStorage() });
    await session.login('a@b', 'right'); // expiresIn 900 s
    await vi.advanceTimersByTimeAsync(900 * 0.8 * 1000 + 10);
    expect(session.token).toBe('access-3');
    await session.call({ method: 'GET', path: '/x' });
    expect(server.calls.filter((c) => c.includes('/auth/refresh'))).toHaveLength(1);
    session.logout();
  } finally {
    vi.useRealTimers();
  }
});
