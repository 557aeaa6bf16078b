// Component tests' stand-in for Vigil: a Session signed in with a given role whose API calls are
// answered by a handler, and a render helper with the providers and a router at a URL.
import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { ServicesProvider } from './api/context';
import { Session } from './api/session';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
}
export type FakeHandler = (req: FakeRequest) => { status?: number; body?: unknown } | undefined;

function tokenFor(role: string): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '');
  return `${b64({ alg: 'none' })}.${b64({ role, tid: 't1', sub: 'u1' })}.sig`;
}

/** A session signed in as `role`; every other call goes to `handler` (404 when it answers nothing). */
export async function fakeSession(role: string, handler: FakeHandler) {
  const requests: FakeRequest[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    const u = new URL(String(url), 'http://vigil.test');
    const req: FakeRequest = { method: init?.method ?? 'GET', path: u.pathname, query: u.searchParams, body: init?.body ? JSON.parse(String(init.body)) : undefined };
    if (req.path === '/api/v1/auth/login') {
      return new Response(JSON.stringify({ accessToken: tokenFor(role), refreshToken: 'r', expiresIn: 900 }), { status: 200 });
    }
    requests.push(req);
    const answer = handler(req) ?? { status: 404, body: { error: 'NOT_FOUND', message: `no fake for ${req.method} ${req.path}` } };
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), { status: answer.status ?? 200 });
  };
  const storage = new Map<string, string>();
  const session = new Session({
    fetch: fetch as typeof globalThis.fetch,
    storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v), removeItem: (k) => void storage.delete(k) },
  });
  await session.login('someone@example.com', 'secret');
  return { session, requests };
}

/** Renders `element` at `url`, matched by `path` (for useParams). */
export function renderAt(session: Session, element: ReactElement, url = '/', path = '*') {
  return render(
    <ServicesProvider session={session}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route path={path} element={element} />
        </Routes>
      </MemoryRouter>
    </ServicesProvider>,
  );
}
