import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCategories, openTicket } from '../../src/domain/support/tickets.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
});
afterAll(async () => ctx.close());

const named = (name: string) =>
  ctx.db.selectFrom('ticket_categories').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
const customerNames = async () => (await listCategories(ctx.db)).map((k) => k.name);

describe('/admin/support/categories', () => {
  it('staff add, rename, reorder and choose the default; customers choose among the live ones in that order', async () => {
    const ada = await signedIn(ctx, cast.ada.email);
    const page = await ada.get('/admin/support/categories');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Ticket categories · SkyPanel</title>');

    for (const name of ['Billing', 'Servers', 'Networking'])
      expect((await ada.post('/admin/support/categories', { name })).status).toBe(303);
    expect(await customerNames()).toEqual(['General', 'Billing', 'Servers', 'Networking']);

    // Bad input: 422, the list and the form with what was typed.
    const dup = await ada.post('/admin/support/categories', { name: 'billing', position: '5' });
    expect(dup.status).toBe(422);
    const dupHtml = await dup.text();
    expect(dupHtml).toContain('Another category has this name.');
    expect(dupHtml).toContain('value="billing"');
    const badPos = await ada.post('/admin/support/categories', { name: 'Abuse <x>', position: 'first' });
    expect(badPos.status).toBe(422);
    const badPosHtml = await badPos.text();
    expect(badPosHtml).toContain('Give the position as a whole number.');
    expect(badPosHtml).toContain('value="Abuse &lt;x&gt;"');
    expect((await ada.post('/admin/support/categories', { name: ' ' })).status).toBe(422);

    const networking = await named('Networking');
    expect((await ada.post(`/admin/support/categories/${networking.id}/move`, { direction: 'up' })).status).toBe(303);
    expect(await customerNames()).toEqual(['General', 'Billing', 'Networking', 'Servers']);
    await ada.post(`/admin/support/categories/${networking.id}/move`, { direction: 'up' });
    await ada.post(`/admin/support/categories/${networking.id}/move`, { direction: 'up' }); // already first: no change
    expect(await customerNames()).toEqual(['General', 'Networking', 'Billing', 'Servers']);

    const servers = await named('Servers');
    const renamed = await ada.post(`/admin/support/categories/${servers.id}`, { name: 'Cloud servers', position: '1' });
    expect(renamed.status).toBe(303);
    expect(await customerNames()).toEqual(['General', 'Cloud servers', 'Networking', 'Billing']);
    const badRename = await ada.post(`/admin/support/categories/${servers.id}`, { name: 'General', position: '1' });
    expect(badRename.status).toBe(422);
    expect(await badRename.text()).toContain('Another category has this name.');
    expect((await ada.get(`/admin/support/categories/${servers.id}`)).status).toBe(200);

    const billing = await named('Billing');
    expect((await ada.post(`/admin/support/categories/${billing.id}/default`, {})).status).toBe(303);
    expect((await listCategories(ctx.db))[0]).toMatchObject({ name: 'Billing', isDefault: true });
    expect(
      await ctx.db.selectFrom('ticket_categories').select('name').where('is_default', '=', true).execute(),
    ).toEqual([{ name: 'Billing' }]);
    // A ticket opened without a category lands in the new default.
    const t = await openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), { subject: 'No category', message: 'x' });
    expect(t.category).toBe('Billing');
  });

  it('the default is never archived; a category with tickets is archived, not deleted; an unused one may be deleted', async () => {
    const ada = await signedIn(ctx, cast.ada.email);
    const billing = await named('Billing'); // the default now, with a ticket
    const refused = await ada.post(`/admin/support/categories/${billing.id}/archive`, {});
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('The default category cannot be archived');
    expect((await named('Billing')).archived_at).toBeNull();
    expect((await ada.post(`/admin/support/categories/${billing.id}/delete`, {})).status).toBe(422);

    const general = await named('General');
    await ctx.db.updateTable('tickets').set({ category_id: general.id }).execute();
    await ada.post(`/admin/support/categories/${general.id}/default`, {});
    // Billing has no ticket now; General has one.
    const withTickets = await ada.post(`/admin/support/categories/${general.id}/delete`, {});
    expect(withTickets.status).toBe(422);
    const networking = await named('Networking');
    await openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), {
      subject: 'Filed in networking',
      message: 'x',
      categoryId: networking.id,
    });
    const used = await ada.post(`/admin/support/categories/${networking.id}/delete`, {});
    expect(used.status).toBe(422);
    expect(await used.text()).toContain('This category has tickets: archive it instead.');
    expect((await ada.post(`/admin/support/categories/${networking.id}/archive`, {})).status).toBe(303);
    expect(await customerNames()).not.toContain('Networking');
    // Its ticket keeps it; a new ticket cannot choose it.
    expect(
      await ctx.db.selectFrom('tickets').select('id').where('category_id', '=', networking.id).execute(),
    ).toHaveLength(1);
    await expect(
      openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), {
        subject: 's',
        message: 'm',
        categoryId: networking.id,
      }),
    ).rejects.toMatchObject({ status: 422 });
    // An archived category cannot become the default until restored.
    expect((await ada.post(`/admin/support/categories/${networking.id}/default`, {})).status).toBe(422);
    const list = await (await ada.get('/admin/support/categories')).text();
    expect(list.indexOf('>archived<')).toBeGreaterThan(list.indexOf('>Billing</a>'));
    expect((await ada.post(`/admin/support/categories/${networking.id}/restore`, {})).status).toBe(303);
    expect(await customerNames()).toContain('Networking');

    expect((await ada.post(`/admin/support/categories/${billing.id}/delete`, {})).status).toBe(303);
    expect(await ctx.db.selectFrom('ticket_categories').select('id').where('id', '=', billing.id).execute()).toEqual(
      [],
    );
    expect((await ada.post(`/admin/support/categories/${billing.id}/delete`, {})).status).toBe(404);
  });

  it('is for platform staff only', async () => {
    const olive = await signedIn(ctx, cast.olive.email);
    expect((await olive.get('/admin/support/categories')).status).toBe(404);
    expect((await olive.post('/admin/support/categories', { name: 'Sneaky' })).status).toBe(404);
    const general = await named('General');
    expect((await olive.post(`/admin/support/categories/${general.id}/delete`, {})).status).toBe(404);
    expect(await customerNames()).not.toContain('Sneaky');
  });
});
