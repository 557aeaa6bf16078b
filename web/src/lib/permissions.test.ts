import { expect, test } from 'vitest';
import { grantableRoles, grantableScopes, roleCan } from './permissions';

test('each role holds what the server grants it, and nothing for an unknown role', () => {
  expect(roleCan('viewer', 'read')).toBe(true);
  expect(roleCan('viewer', 'alarms:write')).toBe(false);
  expect(roleCan('operator', 'commands:send')).toBe(true);
  expect(roleCan('operator', 'rules:write')).toBe(false);
  expect(roleCan('engineer', 'rules:write')).toBe(true);
  expect(roleCan('engineer', 'users:manage')).toBe(false);
  expect(roleCan('admin', 'users:manage')).toBe(true);
  expect(roleCan('admin', 'tenants:manage')).toBe(false);
  expect(roleCan('superadmin', 'tenants:manage')).toBe(true);
  expect(roleCan('janitor', 'read')).toBe(false);
  expect(roleCan(null, 'read')).toBe(false);
});

test('nobody is offered a role or scope above their own', () => {
  expect(grantableRoles('admin')).toEqual(['viewer', 'operator', 'engineer', 'admin']);
  expect(grantableRoles('superadmin')).toContain('superadmin');
  expect(grantableRoles('viewer')).toEqual(['viewer']);
  expect(grantableScopes('engineer')).not.toContain('users:manage');
  expect(grantableScopes('admin')).toContain('users:manage');
});
