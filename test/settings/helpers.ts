import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import type { createPerson } from '../helpers/people.ts';
import { adminAndCustomer } from '../helpers/staff.ts';

/** A platform admin acting in their own session (no organization), as the admin screens' actor is built. */
export function staffActor(userId: string): Actor {
  return {
    userId,
    isPlatformAdmin: true,
    organizationId: null,
    roleName: null,
    permissions: new Set<never>(),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.1', userAgent: null },
  };
}

export type Person = Awaited<ReturnType<typeof createPerson>>;

/** What `settingsSuite` makes before the file's tests: the context, Ada (a platform admin) and one other person. */
export interface SettingsWorld {
  ctx: TestContext;
  ada: Person;
  other: Person;
}

/**
 * The settings tests' preamble: a test context with Ada Admin and `otherName` (verified), closed
 * after the file; `platform_settings` emptied before each test. `ready` runs once they exist (the
 * file keeps what it needs and signs in its own way). Returns the `admin.settings_updated`
 * entries each test made (activity_log is append-only: each test reads the entries made after
 * it started, or after `mark`), with their actor (`audits`) or their details only (`auditDetails`).
 */
export function settingsSuite(otherName: string, ready: (w: SettingsWorld) => Promise<void> | void) {
  let ctx: TestContext;
  let before: string[] = [];
  const entries = () =>
    ctx.db
      .selectFrom('activity_log')
      .select(['id', 'actor_user_id', 'details'])
      .where('action', '=', 'admin.settings_updated')
      .execute();
  /** Counts from now: later entries only (a test that checks a second change on its own). */
  const mark = async () => {
    before = (await entries()).map((e) => e.id);
  };
  beforeAll(async () => {
    ctx = await createTestContext();
    const { ada, other } = await adminAndCustomer(ctx, otherName);
    await ready({ ctx, ada, other });
  });
  afterAll(async () => ctx.close());
  beforeEach(async () => {
    await ctx.db.deleteFrom('platform_settings').execute();
    await mark();
  });
  const made = async () => (await entries()).filter((e) => !before.includes(e.id));
  return {
    mark,
    audits: async () => (await made()).map(({ actor_user_id, details }) => ({ actor_user_id, details })),
    auditDetails: async () => (await made()).map((e) => e.details as Record<string, unknown>),
  };
}
