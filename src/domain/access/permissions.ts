/** The 19 organization permissions (PRODUCT.md §3). */
export const PERMISSIONS = [
  'vps_view',
  'vps_create',
  'vps_delete',
  'vps_manage',
  'notes_view',
  'notes_manage',
  'ssh_keys_view',
  'ssh_keys_manage',
  'tickets_view',
  'tickets_create',
  'tickets_manage',
  'billing_view',
  'billing_manage',
  'egress_view',
  'egress_manage',
  'members_manage',
  'settings_manage',
  'hosting_view',
  'hosting_manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const all = [...PERMISSIONS];
const without = (...p: Permission[]) => all.filter((x) => !p.includes(x));

/** Predefined roles, seeded read-only into every organization. */
export const PREDEFINED_ROLES: Record<string, readonly Permission[]> = {
  owner: all,
  admin: without('billing_manage', 'egress_manage', 'members_manage'),
  member: [
    'vps_view',
    'vps_create',
    'vps_manage',
    'notes_view',
    'notes_manage',
    'ssh_keys_view',
    'tickets_view',
    'tickets_create',
    'billing_view',
    'egress_view',
    'hosting_view',
    'hosting_manage',
  ],
  vps_manager: ['vps_view', 'vps_create', 'vps_manage', 'notes_view', 'ssh_keys_view', 'ssh_keys_manage'],
  hosting_manager: [
    'notes_view',
    'ssh_keys_view',
    'tickets_view',
    'tickets_create',
    'billing_view',
    'egress_view',
    'hosting_view',
    'hosting_manage',
  ],
  support_agent: ['notes_view', 'tickets_view', 'tickets_create', 'tickets_manage', 'hosting_view'],
  viewer: ['vps_view', 'notes_view', 'tickets_view', 'hosting_view'],
};

/** The predefined role of an organization's owners: only an owner may assign it. */
export const OWNER_ROLE = 'owner';

/** The permissions in `wanted` that `held` lacks, in canonical order (nobody may grant what they do not hold). */
export function notHeld(wanted: readonly string[], held: ReadonlySet<string>): string[] {
  return PERMISSIONS.filter((p) => wanted.includes(p) && !held.has(p));
}
