import { describe, expect, it } from 'vitest';
import { presentUser } from '../../src/web/api/v1/me/schemas.ts';
import { presentOrganization } from '../../src/web/api/v1/organizations/schemas.ts';
import { listPage } from '../../src/web/api/v1/pagination.ts';

const at = new Date('2026-03-01T12:00:00Z');
const org = {
  id: '6f1c2c7e-8a51-4c39-9d4e-3a2f1b0c9d8e',
  name: 'Acme',
  personal: false,
  role: 'billing',
  permissions: ['billing_view'],
  currency: 'USD',
  created_at: at,
};

describe('API presenters', () => {
  it('show a wallet balance as a decimal string, rounding micro-units half up and keeping the sign', () => {
    expect(presentOrganization({ ...org, balance: 1_234_565_000n }).balance).toBe('1234.57');
    expect(presentOrganization({ ...org, balance: -1_500_000n }).balance).toBe('-1.50');
    expect(presentOrganization({ ...org, balance: 4_999n }).balance).toBe('0.00');
  });

  it('hide the balance from a member without billing_view', () => {
    expect(presentOrganization({ ...org, permissions: ['vps_view'], balance: 5_000_000n }).balance).toBeNull();
  });

  it('refuse to present an organization without a wallet rather than invent a balance', () => {
    expect(() => presentOrganization({ ...org, balance: null, currency: null })).toThrow(/no wallet/);
  });

  it('show a user in snake_case with UTC timestamps and only the fields the schema names', () => {
    const row = {
      id: org.id,
      email: 'kim@example.test',
      name: 'Kim',
      phone: null,
      timezone: 'Europe/Paris',
      is_admin: false,
      email_verified_at: null,
      totp_enabled_at: at,
      active_organization_id: null,
      created_at: at,
      password_hash: '$2b$04$secret',
      totp_secret: 'v1.secret',
    };
    expect(presentUser(row)).toEqual({
      id: org.id,
      email: 'kim@example.test',
      name: 'Kim',
      phone: null,
      timezone: 'Europe/Paris',
      is_admin: false,
      email_verified_at: null,
      two_factor_enabled: true,
      active_organization_id: null,
      created_at: '2026-03-01T12:00:00.000Z',
    });
  });

  it('build a list page whose next_cursor points at the last row shown, and only when there is more', () => {
    const rows = [{ n: 1 }, { n: 2 }, { n: 3 }];
    const cursorOf = (r: { n: number }) => `c${r.n}`;
    expect(listPage(rows, 2, (r) => r.n, cursorOf)).toEqual({ data: [1, 2], has_more: true, next_cursor: 'c2' });
    expect(listPage(rows, 3, (r) => r.n, cursorOf)).toEqual({ data: [1, 2, 3], has_more: false, next_cursor: null });
    expect(listPage([], 3, (r: { n: number }) => r.n, cursorOf)).toEqual({
      data: [],
      has_more: false,
      next_cursor: null,
    });
  });
});
