import { afterEach, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { fakeSession, renderAt } from '../test-support';
import { MapWidget, gaugeFraction, placeAt } from './more-widgets';
import type { Widget } from './types';

afterEach(cleanup);

test('a gauge fills by the value within its scale, clamped', () => {
  expect(gaugeFraction(50, 0, 100)).toBe(0.5);
  expect(gaugeFraction(-5, 0, 100)).toBe(0);
  expect(gaugeFraction(500, 0, 100)).toBe(1);
  expect(gaugeFraction(5, 10, 10)).toBe(0);
});

test('a dragged pin lands where the pointer is, as a fraction of the plan, never outside it', () => {
  const rect = { left: 100, top: 50, width: 400, height: 200 };
  expect(placeAt({ deviceId: 'd', x: 0, y: 0 }, rect, 300, 100)).toEqual({ deviceId: 'd', x: 0.5, y: 0.25 });
  expect(placeAt({ deviceId: 'd', x: 0, y: 0 }, rect, 0, 999)).toEqual({ deviceId: 'd', x: 0, y: 1 });
});

const widget: Widget = {
  id: 'w1',
  type: 'map',
  x: 0,
  y: 0,
  w: 6,
  h: 6,
  config: { image: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=', placements: [{ deviceId: 'd1', x: 0.5, y: 0.5 }] },
};
const devices = { items: [{ id: 'd1', tenantId: 't', name: 'boiler', type: 'b', labels: {}, status: 'online', createdAt: 0, updatedAt: 0, lastSeenAt: null }], total: 1 };

test('an editor moves a placed device with the arrow keys; the new place goes into the widget config', async () => {
  const { session } = await fakeSession('engineer', () => ({ body: devices }));
  const onChange = vi.fn();
  renderAt(session, <MapWidget widget={widget} onChange={onChange} heightPx={300} />);
  const pin = await screen.findByRole('button', { name: /boiler at 50%, 50%/ });
  fireEvent.keyDown(pin, { key: 'ArrowRight' });
  expect(onChange).toHaveBeenCalledWith({ ...widget, config: { ...widget.config, placements: [{ deviceId: 'd1', x: 0.52, y: 0.5 }] } });
});

test('without edit rights the pins are links to the devices', async () => {
  const { session } = await fakeSession('viewer', () => ({ body: devices }));
  renderAt(session, <MapWidget widget={widget} heightPx={300} />);
  const link = await screen.findByRole('link', { name: 'boiler' });
  expect(link.getAttribute('href')).toBe('/devices/d1');
});
