import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { fakeSession, renderAt } from '../test-support';
import { AlarmHistory } from './AlarmHistory';

afterEach(cleanup);

test('the history lists transitions and comments; a comment is added in place', async () => {
  const history = [{ at: 1, kind: 'raised', by: 'rule', text: null }];
  const { session, requests } = await fakeSession('operator', (req) => {
    if (req.method === 'GET') return { body: { items: history } };
    if (req.method === 'POST') return { status: 201, body: { items: [...history, { at: 2, kind: 'comment', by: 'op@x.io', text: req.body.text }] } };
  });
  renderAt(session, <AlarmHistory alarmId="a1" />);
  await screen.findByText(/raised/);
  fireEvent.change(screen.getByLabelText('Comment'), { target: { value: 'valve replaced' } });
  fireEvent.click(screen.getByRole('button', { name: 'Comment' }));
  expect(await screen.findByText(/valve replaced/)).toBeTruthy();
  expect(requests.find((r) => r.method === 'POST')!.path).toBe('/api/v1/alarms/a1/comments');
});

test('a viewer reads the history but cannot comment', async () => {
  const { session } = await fakeSession('viewer', () => ({ body: { items: [] } }));
  renderAt(session, <AlarmHistory alarmId="a1" />);
  expect(screen.queryByLabelText('Comment')).toBeNull();
});
