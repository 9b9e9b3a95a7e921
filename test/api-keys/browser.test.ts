import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn } from '../helpers/people.ts';
import { activityOf, joinAs, postForm } from './helpers.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const secretIn = (html: string) => /data-testid="api-key-secret">(spk_[\w-]+)</.exec(html)?.[1];

describe('API keys in the browser', () => {
  it('shows Alice her new key once, stores only its SHA-256, and the key then works on the API', async () => {
    const alice = await createPerson(ctx, 'Alice Archer', { verified: true });
    const browser = await signedIn(ctx, alice.email, alice.password, '203.0.113.21');
    const page = await browser.get('/settings/api-keys');
    expect(page.status).toBe(200);
    expect(browser.lastHtml).toContain('value="vps_view"');

    const created = await postForm(
      ctx,
      browser,
      '/settings/api-keys',
      [
        ['name', 'deploy script'],
        ['organization_id', alice.organization.id],
        ['permissions', 'vps_view'],
        ['permissions', 'settings_manage'],
        ['expires_at', ''],
      ],
      '203.0.113.21',
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const secret = secretIn(await created.text())!;
    expect(secret).toMatch(/^spk_[\w-]{43}$/);

    const row = await ctx.db
      .selectFrom('api_keys')
      .selectAll()
      .where('user_id', '=', alice.id)
      .executeTakeFirstOrThrow();
    expect(row.key_hash.equals(createHash('sha256').update(secret).digest())).toBe(true);
    expect(row.prefix).toBe(secret.slice(0, 12));
    expect(row.permissions).toEqual(['vps_view', 'settings_manage']);
    expect(row.organization_id).toBe(alice.organization.id);
    expect(JSON.stringify(row)).not.toContain(secret.slice(12));

    // The list names the key by its prefix; the secret itself is never shown again.
    await browser.get('/settings/api-keys');
    expect(browser.lastHtml).toContain('deploy script');
    expect(browser.lastHtml).toContain(`${row.prefix}…`);
    expect(browser.lastHtml).not.toContain(secret);

    const me = await apiClient(ctx, '203.0.113.21')('GET', '/me', { token: secret });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(alice.id);
  });

  it('refuses Victor, a viewer in Alice’s organization, a key with a permission he lacks there', async () => {
    const alice = await createPerson(ctx, 'Alice Abbott', { verified: true });
    const victor = await createPerson(ctx, 'Victor Vale', { verified: true });
    await joinAs(ctx, alice.organization.id, victor.id, 'viewer');
    const browser = await signedIn(ctx, victor.email, victor.password, '203.0.113.22');
    await browser.get(`/settings/api-keys?organization_id=${alice.organization.id}`);
    // Only what he holds there is offered…
    expect(browser.lastHtml).toContain('value="vps_view"');
    expect(browser.lastHtml).not.toContain('value="vps_delete"');

    // …and a forged checkbox is refused, naming the field.
    const res = await postForm(
      ctx,
      browser,
      '/settings/api-keys',
      [
        ['name', 'sneaky'],
        ['organization_id', alice.organization.id],
        ['permissions', 'vps_view'],
        ['permissions', 'vps_delete'],
      ],
      '203.0.113.22',
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('You do not have vps_delete in this organization');
    expect(html).toContain('value="sneaky"');
    expect(await ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', victor.id).execute()).toHaveLength(0);
  });

  it('re-renders only the form, with that organization’s permissions, when another organization is picked', async () => {
    const alice = await createPerson(ctx, 'Alice Ames', { verified: true });
    const victor = await createPerson(ctx, 'Victor Voss', { verified: true });
    await joinAs(ctx, alice.organization.id, victor.id, 'viewer');
    const browser = await signedIn(ctx, victor.email, victor.password, '203.0.113.23');
    const res = await browser.get(`/settings/api-keys?organization_id=${victor.organization.id}&name=ci`, {
      'hx-request': 'true',
      'hx-target': 'api-key-form',
    });
    const html = await res.text();
    expect(html.startsWith('<form id="api-key-form"')).toBe(true);
    expect(html).toContain('value="vps_delete"');
    expect(html).toContain('value="ci"');
  });

  it('lets Alice revoke her key with hx-delete, records it, and answers 404 for a key that is not hers', async () => {
    const alice = await createPerson(ctx, 'Alice Avery', { verified: true });
    const mallory = await createPerson(ctx, 'Mallory Moss', { verified: true });
    const browser = await signedIn(ctx, alice.email, alice.password, '203.0.113.24');
    await browser.get('/settings/api-keys');
    const created = await postForm(
      ctx,
      browser,
      '/settings/api-keys',
      [
        ['name', 'old key'],
        ['organization_id', alice.organization.id],
        ['permissions', 'vps_view'],
      ],
      '203.0.113.24',
    );
    const secret = secretIn(await created.text())!;
    const key = await ctx.db
      .selectFrom('api_keys')
      .select('id')
      .where('user_id', '=', alice.id)
      .executeTakeFirstOrThrow();

    const intruder = await signedIn(ctx, mallory.email, mallory.password, '203.0.113.25');
    const foreign = await intruder.post(
      `/settings/api-keys/${key.id}`,
      {},
      { method: 'DELETE', headers: { 'x-csrf-token': intruder.csrf, 'hx-request': 'true' } },
    );
    expect(foreign.status).toBe(404);

    const res = await browser.post(
      `/settings/api-keys/${key.id}`,
      {},
      { method: 'DELETE', headers: { 'x-csrf-token': browser.csrf, 'hx-request': 'true', 'hx-target': 'api-keys' } },
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="api-keys"');
    expect(html).not.toContain('old key');
    expect((await apiClient(ctx, '203.0.113.24')('GET', '/me', { token: secret })).status).toBe(401);
    const revoked = await activityOf(ctx, 'api_key.revoked', alice.id);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!).toMatchObject({
      organization_id: alice.organization.id,
      target_type: 'api_key',
      target_id: key.id,
      ip: '203.0.113.24',
    });
  });
});
