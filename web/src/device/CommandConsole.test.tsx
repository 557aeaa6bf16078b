import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { fakeSession, renderAt } from '../test-support';
import { CommandConsole, isFinal } from './CommandConsole';

afterEach(cleanup);

const base = { id: 'c1', deviceId: 'd1', requestId: 1, persistent: false, createdAt: 1, updatedAt: 2, expiresAt: 3, error: null };

test('an operator sends a two-way command and sees the device response', async () => {
  const sent: unknown[] = [];
  const { session } = await fakeSession('operator', (req) => {
    if (req.method === 'GET' && req.path === '/api/v1/devices/d1/rpc') return { body: { items: sent } };
    if (req.method === 'POST' && req.path === '/api/v1/devices/d1/rpc') {
      const call = { ...base, method: req.body.method, params: req.body.params, oneway: req.body.oneway, status: 'succeeded', response: { valve: 'open' } };
      sent.push(call);
      return { body: call };
    }
  });
  renderAt(session, <CommandConsole deviceId="d1" />);
  await screen.findByText('None sent yet.');
  fireEvent.change(screen.getByLabelText('Method'), { target: { value: 'setValve' } });
  fireEvent.change(screen.getByLabelText('Params (JSON)'), { target: { value: '{"open": true}' } });
  fireEvent.click(screen.getByRole('button', { name: 'Send command' }));
  const outcome = await screen.findByRole('status', { name: 'Command outcome' });
  expect(within(outcome).getByText('succeeded')).toBeTruthy();
  expect(within(outcome).getByLabelText('Response').textContent).toBe('{"valve":"open"}');
  await waitFor(() => expect(within(screen.getByRole('table', { name: 'Recent commands' })).getByText('setValve')).toBeTruthy());
});

test('params that are not JSON are refused at the field, before anything is sent', async () => {
  const { session, requests } = await fakeSession('operator', () => ({ body: { items: [] } }));
  renderAt(session, <CommandConsole deviceId="d1" />);
  fireEvent.change(screen.getByLabelText('Method'), { target: { value: 'reboot' } });
  fireEvent.change(screen.getByLabelText('Params (JSON)'), { target: { value: '{open' } });
  fireEvent.click(screen.getByRole('button', { name: 'Send command' }));
  expect(await screen.findByText(/not valid JSON/)).toBeTruthy();
  expect(requests.some((r) => r.method === 'POST')).toBe(false);
});

test('a viewer has no send form', async () => {
  const { session } = await fakeSession('viewer', () => ({ body: { items: [] } }));
  renderAt(session, <CommandConsole deviceId="d1" />);
  expect(screen.getByText('Your role may not send commands.')).toBeTruthy();
  expect(screen.queryByRole('button', { name: 'Send command' })).toBeNull();
});

test('a one-way command is done once delivered; a two-way one waits for its answer', () => {
  expect(isFinal({ status: 'delivered', oneway: true })).toBe(true);
  expect(isFinal({ status: 'delivered', oneway: false })).toBe(false);
  expect(isFinal({ status: 'expired', oneway: false })).toBe(true);
});
