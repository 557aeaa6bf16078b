import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { fakeSession, renderAt } from '../test-support';
import { AttributesPanel } from './AttributesPanel';

afterEach(cleanup);

const items = [
  { scope: 'client', key: 'fw_version', value: '1.2.0', updatedAt: 1 },
  { scope: 'shared', key: 'interval', value: 30, updatedAt: 2 },
];

test('client attributes are read-only; shared ones are edited as JSON values', async () => {
  const { session, requests } = await fakeSession('engineer', (req) => {
    if (req.method === 'GET') return { body: { items } };
    if (req.method === 'POST') return { body: { updated: 1 } };
  });
  renderAt(session, <AttributesPanel deviceId="d1" />);
  await screen.findByText('fw_version');
  expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
  fireEvent.click(screen.getByRole('button', { name: /Shared/ }));
  const table = screen.getByRole('table', { name: 'shared attributes' });
  fireEvent.click(within(table).getByRole('button', { name: 'Edit' }));
  fireEvent.change(screen.getByLabelText('Value of interval'), { target: { value: '60' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  await waitFor(() => expect(requests.find((r) => r.method === 'POST')).toBeTruthy());
  const post = requests.find((r) => r.method === 'POST')!;
  expect(post.path).toBe('/api/v1/devices/d1/attributes/shared');
  expect(post.body).toEqual({ interval: 60 });
});

test('an operator sees attributes without edit controls', async () => {
  const { session } = await fakeSession('operator', () => ({ body: { items } }));
  renderAt(session, <AttributesPanel deviceId="d1" />);
  await screen.findByText('fw_version');
  fireEvent.click(screen.getByRole('button', { name: /Shared/ }));
  expect(screen.getByText('interval')).toBeTruthy();
  expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
  expect(screen.queryByRole('form', { name: /Add shared attribute/ })).toBeNull();
});
