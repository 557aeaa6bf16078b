import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { fakeSession, renderAt } from '../test-support';
import { RuleEditPage } from './RuleEditPage';

afterEach(cleanup);

const noDevices = { items: [], total: 0 };

test('a rule the server refuses shows each problem at its field', async () => {
  const { session, requests } = await fakeSession('engineer', (req) => {
    if (req.path === '/api/v1/devices') return { body: noDevices };
    if (req.method === 'POST' && req.path === '/api/v1/rules') {
      return {
        status: 422,
        body: { error: 'UNPROCESSABLE', message: 'invalid rule', details: { problems: [{ field: 'condition.key', message: 'key too long for the store' }] } },
      };
    }
  });
  renderAt(session, <RuleEditPage />, '/rules/new', '/rules/new');
  fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Hot' } });
  fireEvent.change(screen.getByLabelText('Key'), { target: { value: 'temperature' } });
  fireEvent.change(screen.getByLabelText('Value'), { target: { value: '80' } });
  fireEvent.click(screen.getByRole('button', { name: 'Create rule' }));
  const key = screen.getByLabelText('Key');
  await waitFor(() => expect(key.getAttribute('aria-invalid')).toBe('true'));
  expect(screen.getByText('key too long for the store')).toBeTruthy();
  const sent = requests.find((r) => r.method === 'POST')!.body;
  expect(sent.condition).toMatchObject({ type: 'threshold', key: 'temperature', operator: '>', value: 80 });
});

test('mistakes are caught before sending, and the form follows the rule type', async () => {
  const { session, requests } = await fakeSession('engineer', (req) => (req.path === '/api/v1/devices' ? { body: noDevices } : undefined));
  renderAt(session, <RuleEditPage />, '/rules/new', '/rules/new');
  fireEvent.change(screen.getByLabelText('Rule type'), { target: { value: 'statistical' } });
  expect(screen.getByLabelText('Window')).toBeTruthy();
  expect(screen.getByLabelText('Function')).toBeTruthy();
  fireEvent.change(screen.getByLabelText('Window'), { target: { value: 'soon' } });
  fireEvent.click(screen.getByRole('button', { name: 'Create rule' }));
  await screen.findByText('Fix the marked fields.');
  expect(screen.getByText('a duration with a unit, e.g. 30s, 5m, 1h')).toBeTruthy();
  expect(requests.some((r) => r.method === 'POST')).toBe(false);
});

test('a viewer sees the rule but cannot save it', async () => {
  const rule = {
    id: 'r1', tenantId: 't1', version: 2, name: 'Quiet', target: { deviceId: null, deviceType: null },
    condition: { type: 'inactivity', key: null, durationMs: 600000 }, severity: 'warning', message: '', cooldownMs: 0, actions: [], enabled: true, createdAt: 1, updatedAt: 2,
  };
  const { session } = await fakeSession('viewer', (req) => {
    if (req.path === '/api/v1/rules/r1') return { body: rule };
    if (req.path === '/api/v1/rules/r1/versions') return { body: { items: [rule, { ...rule, version: 1 }] } };
  });
  renderAt(session, <RuleEditPage />, '/rules/r1', '/rules/:id');
  await screen.findByText('Rule: Quiet');
  expect(((await screen.findByLabelText('Silent for')) as HTMLInputElement).value).toBe('10m');
  expect(screen.queryByRole('button', { name: 'Save new version' })).toBeNull();
  expect(screen.getByText('v1')).toBeTruthy();
});
