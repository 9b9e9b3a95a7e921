import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import type { Permission } from '../../src/domain/access/permissions.ts';
import { ADMIN_NAVIGATION, navigationFor, PORTAL_NAVIGATION } from '../../src/web/navigation.ts';
import { ROUTES } from '../authz/routes.ts';

const origin = { ip: '192.0.2.1', userAgent: null };
const member = (permissions: Permission[], extra: Partial<Actor> = {}): Actor => ({
  userId: '6f1c2c7e-8a51-4c39-9d4e-3a2f1b0c9d8e',
  isPlatformAdmin: false,
  organizationId: '0b7c9f1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e',
  roleName: 'member',
  permissions: new Set(permissions),
  impersonatorUserId: null,
  apiKeyId: null,
  origin,
  ...extra,
});
const labels = (actor: Actor | null, path = '/dashboard') =>
  navigationFor(PORTAL_NAVIGATION, actor, path).flatMap((s) => s.links.map((l) => l.label));

describe('the sidebars', () => {
  it('link only to pages the app serves, and a link asks for exactly what its page asks (test/authz/routes.ts)', () => {
    for (const link of PORTAL_NAVIGATION.flatMap((s) => s.links)) {
      const route = ROUTES[`GET ${link.href}`];
      expect(route, link.href).toBeDefined();
      if (typeof link.needs === 'string') expect(route!.permission, link.href).toBe(link.needs);
      else expect(route!.permission, link.href).toBeUndefined();
      if (typeof link.needs === 'function') expect(route!.auth, link.href).toBe('admin');
    }
    for (const link of ADMIN_NAVIGATION.flatMap((s) => s.links)) {
      const route = ROUTES[`GET ${link.href}`];
      expect(route, link.href).toBeDefined();
      expect(route!.auth, link.href).toBe(link.href.startsWith('/admin') ? 'admin' : 'session');
    }
  });

  it('hide a link from a member whose role may not open its page, and a heading with nothing under it', () => {
    const viewer = labels(member([]));
    expect(viewer).toEqual([
      'Dashboard',
      'Members',
      'Roles',
      'All organizations',
      'Notes',
      'Profile',
      'Password',
      'Security',
      'Notifications',
      'API keys',
    ]);
    expect(navigationFor(PORTAL_NAVIGATION, member([]), '/dashboard').map((s) => s.heading)).toEqual([
      null,
      'Organization',
      'Servers',
      'Account',
    ]);

    expect(labels(member(['billing_view']))).toEqual(expect.arrayContaining(['Billing', 'Invoices']));
    expect(labels(member(['billing_view']))).not.toContain('Activity');
    expect(labels(member(['settings_manage']))).toEqual(expect.arrayContaining(['Organization settings', 'Activity']));
  });

  it('offer the admin area to platform staff only, never to an admin while impersonating (isPlatformAdmin is false then)', () => {
    expect(labels(member([], { isPlatformAdmin: true }))).toContain('Admin area');
    expect(labels(member([], { impersonatorUserId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' }))).not.toContain(
      'Admin area',
    );
    expect(navigationFor(ADMIN_NAVIGATION, member([]), '/admin').flatMap((s) => s.links.map((l) => l.label))).toEqual([
      'Back to portal',
    ]);
  });

  it('mark the page being shown, and the section page for the pages below it', () => {
    const current = (sections: Parameters<typeof navigationFor>[0], path: string) =>
      navigationFor(sections, member(['billing_view'], { isPlatformAdmin: true }), path).flatMap((s) =>
        s.links.filter((l) => l.current).map((l) => l.label),
      );
    expect(current(PORTAL_NAVIGATION, '/billing')).toEqual(['Billing']);
    expect(current(PORTAL_NAVIGATION, '/billing/transactions/0b7c9f1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e')).toEqual([
      'Billing',
    ]);
    expect(current(PORTAL_NAVIGATION, '/billingx')).toEqual([]);
    expect(current(ADMIN_NAVIGATION, '/admin')).toEqual(['Overview']);
    expect(current(ADMIN_NAVIGATION, '/admin/users/0b7c9f1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e')).toEqual(['Users']);
  });
});
