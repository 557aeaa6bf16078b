import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { fakeSession, renderAt } from '../test-support';
import { AdminPage } from './AdminPage';

afterEach(cleanup);

const users = [
  { id: 'u1', tenantId: 't1', email: 'admin@x.io', role: 'admin', disabled: false, createdAt: 1, failedLogins: 0, lockedUntil: null },
  { id: 'u2', tenantId: 't1', email: 'op@x.io', role: 'operator', disabled: false, createdAt: 2, failedLogins: 0, lockedUntil: null },
  { id: 'u0', tenantId: 't1', email: 'root@x.io', role: 'superadmin', disabled: false, createdAt: 0, failedLogins: 0, lockedUntil: null },
];

test('an admin creates a user, changes a role and disables a user; their own row and a superadmin above them are out of reach', async () => {
  const { session, requests } = await fakeSession('admin', (req) => {
    if (req.method === 'GET' && req.path === '/api/v1/users') return { body: { items: users } };
    if (req.path === '/api/v1/auth/me') return { body: { userId: 'u1', tenantId: 't1', role: 'admin', sessionId: 's1' } };
    if (req.method === 'POST' && req.path === '/api/v1/users') return { status: 201, body: { ...users[1], id: 'u3', email: req.body.email, role: req.body.role } };
    if (req.method === 'PATCH') return { body: { ...users[1], ...req.body } };
  });
  renderAt(session, <AdminPage />, '/admin/users', '/admin/:tab');
  await screen.findByText('op@x.io');
  // The tabs an admin may use; no Tenants tab (superadmin only).
  const tabs = screen.getByRole('navigation', { name: 'Users and access' });
  expect(within(tabs).queryByText('Tenants')).toBeNull();
  expect(within(tabs).getByText('Audit log')).toBeTruthy();

  const form = screen.getByRole('form', { name: 'Create user' });
  fireEvent.change(within(form).getByLabelText('Email'), { target: { value: 'new@x.io' } });
  fireEvent.change(within(form).getByLabelText('Initial password'), { target: { value: 'a-long-password-1' } });
  const roleSelect = within(form).getByLabelText('Role') as HTMLSelectElement;
  expect([...roleSelect.options].map((o) => o.value)).toEqual(['viewer', 'operator', 'engineer', 'admin']);
  fireEvent.change(roleSelect, { target: { value: 'engineer' } });
  fireEvent.click(within(form).getByRole('button', { name: 'Create user' }));
  await screen.findByText('Created new@x.io');
  expect(requests.find((r) => r.method === 'POST')!.body).toEqual({ email: 'new@x.io', password: 'a-long-password-1', role: 'engineer' });

  fireEvent.change(screen.getByLabelText('Role of op@x.io'), { target: { value: 'engineer' } });
  await waitFor(() => expect(requests.some((r) => r.method === 'PATCH' && r.path === '/api/v1/users/u2' && r.body.role === 'engineer')).toBe(true));
  const opRow = screen.getByText('op@x.io').closest('tr')!;
  fireEvent.click(within(opRow).getByRole('button', { name: 'Disable' }));
  await waitFor(() => expect(requests.some((r) => r.method === 'PATCH' && r.body.disabled === true)).toBe(true));

  // No controls on one's own row (changed on the account page) nor on the superadmin's.
  await waitFor(() => expect(screen.queryByLabelText('Role of admin@x.io')).toBeNull());
  expect(screen.queryByLabelText('Role of root@x.io')).toBeNull();
  expect(within(screen.getByText('root@x.io').closest('tr')!).queryByRole('button')).toBeNull();
});

test('an engineer sees only their own account, and a deep link to users says it is not allowed', async () => {
  const { session, requests } = await fakeSession('engineer', () => ({ body: { items: [] } }));
  renderAt(session, <AdminPage />, '/admin/users', '/admin/:tab');
  expect(screen.getByRole('alert').textContent).toMatch(/engineer.*may not/);
  const tabs = screen.getByRole('navigation', { name: 'Users and access' });
  expect(within(tabs).getAllByRole('link').map((a) => a.textContent)).toEqual(['My account']);
  expect(requests.some((r) => r.path === '/api/v1/users')).toBe(false);
});

test('a new API key is shown once, with the scopes the admin chose', async () => {
  const { session, requests } = await fakeSession('admin', (req) => {
    if (req.method === 'GET' && req.path === '/api/v1/api-keys') return { body: { items: [] } };
    if (req.method === 'POST' && req.path === '/api/v1/api-keys') {
      return { status: 201, body: { id: 'k1', tenantId: 't1', name: req.body.name, role: 'admin', scopes: req.body.scopes, createdBy: 'u1', createdAt: 1, expiresAt: 2, revokedAt: null, lastUsedAt: null, key: 'vk_secret_123' } };
    }
  });
  renderAt(session, <AdminPage />, '/admin/api-keys', '/admin/:tab');
  const form = await screen.findByRole('form', { name: 'Create API key' });
  fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'grafana' } });
  fireEvent.click(within(form).getByLabelText('alarms:write'));
  fireEvent.click(within(form).getByRole('button', { name: 'Create key' }));
  expect((await screen.findByLabelText('New API key')).textContent).toBe('vk_secret_123');
  expect(requests.find((r) => r.method === 'POST')!.body.scopes).toEqual(['read', 'alarms:write']);
  fireEvent.click(screen.getByRole('button', { name: 'Done' }));
  expect(screen.queryByText('vk_secret_123')).toBeNull();
});
