import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizationLink } from '../../src/domain/notifications/contacts.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { topUp } from '../invoices/fixtures.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

const activeOf = async (userId: string) =>
  (await ctx.db.selectFrom('users').select('active_organization_id').where('id', '=', userId).executeTakeFirstOrThrow())
    .active_organization_id;

// Billing emails are about one organization; their links must open it, not the active one.
describe('links in emails about one organization', () => {
  it('ask a member working in another organization to switch first, then open the page there', async () => {
    const olga = await createPerson(ctx, 'Olga Two Hats', { verified: true, email: uniqueEmail('olga') });
    const bruno = await createPerson(ctx, 'Bruno Boss', { verified: true, email: uniqueEmail('bruno') });
    await joinAs(ctx, bruno.organization.id, olga.id, 'owner');
    // She works in her own organization.
    await ctx.db
      .updateTable('users')
      .set({ active_organization_id: olga.organization.id })
      .where('id', '=', olga.id)
      .execute();
    const { invoice } = await topUp(ctx.deps, bruno.organization.id, 12_000_000n);
    const link = organizationLink('http://localhost:3000', bruno.organization.id, `/invoices/${invoice.id}/pdf`);
    const path = link.slice('http://localhost:3000'.length);

    const b = await signedIn(ctx, olga.email);
    expect(await activeOf(olga.id)).toBe(olga.organization.id);
    // The invoice itself is not in her active organization.
    expect((await b.get(`/invoices/${invoice.id}/pdf`)).status).toBe(404);

    const ask = await b.get(path);
    expect(ask.status).toBe(200);
    expect(b.lastHtml).toContain(`Continue as ${bruno.organization.name.replaceAll("'", '&#39;')}?`);
    expect(b.lastHtml).toContain(`name="next" value="/invoices/${invoice.id}/pdf"`);
    expect(await activeOf(olga.id)).toBe(olga.organization.id); // a GET switches nothing

    const switched = await b.post('/active-organization', {
      organization_id: bruno.organization.id,
      next: `/invoices/${invoice.id}/pdf`,
    });
    expect(switched.status).toBe(303);
    expect(switched.headers.get('location')).toBe(`/invoices/${invoice.id}/pdf`);
    expect(await activeOf(olga.id)).toBe(bruno.organization.id);
    const pdf = await b.get(`/invoices/${invoice.id}/pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toContain('application/pdf');

    // Already in that organization: straight on.
    const direct = await b.get(path);
    expect(direct.status).toBe(303);
    expect(direct.headers.get('location')).toBe(`/invoices/${invoice.id}/pdf`);
  });

  it('are 404 for someone not in the organization, and never lead off the site', async () => {
    const mallory = await createPerson(ctx, 'Mallory Outside', { verified: true, email: uniqueEmail('mallory') });
    const target = await createPerson(ctx, 'Tess Target', { verified: true, email: uniqueEmail('tess') });
    const b = await signedIn(ctx, mallory.email);
    expect((await b.get(`/active-organization/${target.organization.id}?next=%2Fbilling`)).status).toBe(404);
    expect((await b.get(`/active-organization/not-an-id`)).status).toBe(404);

    const own = await b.get(
      `/active-organization/${mallory.organization.id}?next=${encodeURIComponent('//evil.example/x')}`,
    );
    expect(own.status).toBe(303);
    expect(own.headers.get('location')).toBe('/dashboard');
    const post = await b.post('/active-organization', {
      organization_id: mallory.organization.id,
      next: 'https://evil.example/',
    });
    expect(post.headers.get('location')).not.toContain('evil.example');
  });
});
