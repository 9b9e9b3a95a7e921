import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import {
  assertCanGrant,
  assertCanManageMember,
  mayGrantRole,
  mayManageMember,
} from '../../src/domain/access/organization.ts';
import { PREDEFINED_ROLES, type Permission } from '../../src/domain/access/permissions.ts';

/**
 * Who may change whom in an organization is one rule: the predicates the members page asks
 * before offering a control (mayManageMember, mayGrantRole) agree with the refusals the domain
 * makes when the change is tried (assertCanManageMember, assertCanGrant).
 */
const roles = Object.entries(PREDEFINED_ROLES).map(([name, permissions]) => ({
  name,
  permissions: [...permissions] as string[],
  predefined: true,
}));

function actorWith(role: string, opts: { apiKey?: boolean } = {}): Actor {
  return {
    userId: '00000000-0000-4000-8000-000000000001',
    isPlatformAdmin: false,
    organizationId: '00000000-0000-4000-8000-000000000002',
    roleName: role,
    permissions: new Set<Permission>(
      opts.apiKey ? PREDEFINED_ROLES[role]!.filter((p) => p !== 'billing_manage') : PREDEFINED_ROLES[role]!,
    ),
    impersonatorUserId: null,
    apiKeyId: opts.apiKey ? '00000000-0000-4000-8000-000000000003' : null,
    origin: { ip: '192.0.2.1', userAgent: null },
  };
}

const refuses = (check: () => void) => {
  try {
    check();
    return false;
  } catch {
    return true;
  }
};

describe('who may change whom', () => {
  it('an owner may change anyone and grant any role', () => {
    const owner = actorWith('owner');
    for (const role of roles) {
      expect(mayManageMember(owner, role)).toBe(true);
      expect(mayGrantRole(owner, role)).toBe(true);
    }
  });

  it('an admin (no members_manage) may change nobody, and may not grant owner', () => {
    const admin = actorWith('admin');
    for (const role of roles) expect(mayManageMember(admin, role)).toBe(false);
    expect(
      mayGrantRole(
        admin,
        roles.find((r) => r.name === 'owner')!,
      ),
    ).toBe(false);
    expect(
      mayGrantRole(
        admin,
        roles.find((r) => r.name === 'viewer')!,
      ),
    ).toBe(true);
  });

  it('an owner acting through a key that lacks a permission is not an owner: owners and that permission are out of reach', () => {
    const keyed = actorWith('owner', { apiKey: true });
    expect(
      mayManageMember(
        keyed,
        roles.find((r) => r.name === 'owner')!,
      ),
    ).toBe(false);
    expect(
      mayGrantRole(
        keyed,
        roles.find((r) => r.name === 'member')!,
      ),
    ).toBe(true);
    expect(mayGrantRole(keyed, { name: 'billing', permissions: ['billing_manage'], predefined: false })).toBe(false);
  });

  it('the predicates and the refusals agree for every predefined role acting on every predefined role', () => {
    for (const acting of Object.keys(PREDEFINED_ROLES)) {
      const actor = actorWith(acting);
      for (const role of roles) {
        const manageable =
          actor.permissions.has('members_manage') && !refuses(() => assertCanManageMember(actor, role));
        expect(mayManageMember(actor, role), `${acting} managing a ${role.name}`).toBe(manageable);
        expect(mayGrantRole(actor, role), `${acting} granting ${role.name}`).toBe(
          !refuses(() => assertCanGrant(actor, role)),
        );
      }
    }
  });
});
