import { afterEach, expect, test } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { ServicesProvider } from '../api/context';
import { Session } from '../api/session';
import { DEFAULT_QUERY, type DeviceQuery } from '../lib/device-query';
import { DeviceTable } from './DeviceTable';

afterEach(cleanup);

const FLEET = Array.from({ length: 10_000 }, (_, i) => ({
  id: `id-${i}`,
  tenantId: 't',
  name: `device-${String(i).padStart(5, '0')}`,
  type: i % 2 ? 'pump' : 'motor',
  labels: {},
  status: 'offline',
  createdAt: 0,
  updatedAt: 0,
  lastSeenAt: null,
}));

/** A devices API over FLEET that records every query it was asked. */
function fakeApi() {
  const queries: URLSearchParams[] = [];
  const fetch = async (url: string | URL | Request) => {
    const u = new URL(String(url), 'http://x');
    queries.push(u.searchParams);
    const name = u.searchParams.get('name') ?? '';
    let items = FLEET.filter((d) => d.name.includes(name));
    if (u.searchParams.get('order') === 'desc') items = [...items].reverse();
    const offset = Number(u.searchParams.get('offset'));
    const limit = Number(u.searchParams.get('limit'));
    return new Response(JSON.stringify({ items: items.slice(offset, offset + limit), total: items.length }), { status: 200 });
  };
  const storage = new Map<string, string>();
  const session = new Session({
    fetch: fetch as typeof globalThis.fetch,
    storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v), removeItem: (k) => void storage.delete(k) },
  });
  return { session, queries };
}

function renderTable(session: Session, query: DeviceQuery, onQueryChange: (q: DeviceQuery) => void = () => {}) {
  return render(
    <ServicesProvider session={session}>
      <MemoryRouter>
        <DeviceTable query={query} onQueryChange={onQueryChange} />
      </MemoryRouter>
    </ServicesProvider>,
  );
}

test('10,000 devices: one page is fetched and only the visible rows are in the DOM', async () => {
  const { session, queries } = fakeApi();
  renderTable(session, DEFAULT_QUERY);
  await screen.findByText('10,000 devices');
  await screen.findByRole('link', { name: 'device-00000' });
  expect(screen.getAllByRole('row').length).toBeLessThan(40);
  expect(queries[0]!.get('limit')).toBe('200');
  expect(queries[0]!.get('sort')).toBe('name');
});

test('filters go to the server, and the table shows what it answers', async () => {
  const { session, queries } = fakeApi();
  renderTable(session, { ...DEFAULT_QUERY, name: ' 0999 ' });
  await screen.findByText('11 devices'); // 00999, 09990..09999
  expect(queries.at(-1)!.get('name')).toBe('0999');
  expect(screen.getByRole('link', { name: 'device-00999' })).toBeTruthy();
});

test('clicking a sortable header asks for the other order', async () => {
  const { session } = fakeApi();
  let asked: DeviceQuery | null = null;
  renderTable(session, DEFAULT_QUERY, (q) => (asked = q));
  await screen.findByText('10,000 devices');
  const header = screen.getByRole('columnheader', { name: /Name/ });
  expect(header.getAttribute('aria-sort')).toBe('ascending');
  await act(async () => fireEvent.click(screen.getByRole('button', { name: /Name/ })));
  expect(asked).toEqual({ ...DEFAULT_QUERY, order: 'desc' });
});

test('scrolling far down fetches the pages under the viewport', async () => {
  const { session, queries } = fakeApi();
  renderTable(session, DEFAULT_QUERY);
  await screen.findByText('10,000 devices');
  const body = screen.getByLabelText('Device rows, scrollable');
  await act(async () => {
    Object.defineProperty(body, 'scrollTop', { value: 44 * 5000, configurable: true });
    fireEvent.scroll(body);
  });
  await waitFor(() => expect(queries.some((q) => q.get('offset') === '5000')).toBe(true));
  await screen.findByRole('link', { name: 'device-05000' });
});
