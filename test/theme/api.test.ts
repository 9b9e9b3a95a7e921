import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPlatformSettings } from '../../src/domain/settings/platform.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';

/** The platform default colour theme through the staff API (GET|PATCH /api/v1/admin/settings). */
let ctx: TestContext;
let call: ReturnType<typeof apiClient>;
let adminToken: string;

beforeAll(async () => {
  ctx = await createTestContext();
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  call = apiClient(ctx, '198.51.100.90');
  adminToken = await tokenFor(ctx, ada.email, '198.51.100.90');
});
afterAll(async () => ctx.close());

describe('default_theme in /api/v1/admin/settings', () => {
  it('is read, changed alone, and refused with the error envelope when it is not a preset', async () => {
    expect((await call('GET', '/admin/settings', { token: adminToken })).body.default_theme).toBe('sky');

    const res = await call('PATCH', '/admin/settings', { token: adminToken, body: { default_theme: 'violet' } });
    expect(res.status).toBe(200);
    expect(res.body.default_theme).toBe('violet');
    expect(res.body.registration_enabled).toBe(true);
    expect((await getPlatformSettings(ctx.db)).defaultTheme).toBe('violet');

    for (const bad of ['neon', '', 7, null]) {
      const refused = await call('PATCH', '/admin/settings', { token: adminToken, body: { default_theme: bad } });
      expect(refused.status, String(bad)).toBe(422);
      expect(refused.body.error.code).toBe('validation_failed');
    }
    expect((await getPlatformSettings(ctx.db)).defaultTheme).toBe('violet');
  });
});
