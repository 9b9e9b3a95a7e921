import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import { createOrganization } from '../../src/domain/organizations/create.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';
import { fundWallet } from '../helpers/money.ts';

let ctx: TestContext;
let admin: TestBrowser;
let owner: Awaited<ReturnType<typeof createPerson>>;
let acme: { id: string };
beforeAll(async () => {
  ctx = await createTestContext();
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
  owner = await createPerson(ctx, 'Olga Owner', { verified: true });
  const vic = await createPerson(ctx, 'Vic Viewer', { verified: true });
  acme = await inTransaction(ctx.db, async (trx) => {
    const org = await createOrganization(trx, { name: 'Acme Hosting', ownerId: owner.id, personal: false, currency: 'USD' });
    const viewer = await trx.selectFrom('roles').select('id').where('organization_id', '=', org.id).where('name', '=', 'viewer').executeTakeFirstOrThrow();
    await trx.insertInto('organization_members').values({ organization_id: org.id, user_id: vic.id, role_id: viewer.id }).execute();
    await fundWallet(trx, org.id, 1_234_560_000n);
    return org;
  });
  await ctx.db.insertInto('organizations').values(Array.from({ length: 52 }, (_, i) => ({ name: `Bulk Org ${String(i + 1).padStart(2, '0')}` }))).execute();
  admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');
});
afterAll(async () => ctx.close());

const rowIds = (html: string) => [...html.matchAll(/id="organization-([0-9a-f-]{36})"/g)].map((m) => m[1]);

describe('organizations in the admin area', () => {
  it('finds organizations by name, whatever the case', async () => {
    await admin.get('/admin/organizations?q=ACME');
    expect(rowIds(admin.lastHtml)).toEqual([acme.id]);
  });

  it('shows 50 a page', async () => {
    await admin.get('/admin/organizations?q=bulk');
    expect(rowIds(admin.lastHtml)).toHaveLength(50);
    expect(admin.lastHtml).toContain('href="/admin/organizations?q=bulk&amp;page=2"');
    await admin.get('/admin/organizations?q=bulk&page=2');
    expect(rowIds(admin.lastHtml)).toHaveLength(2);
  });

  it('shows one organization with its members, their roles, and the wallet balance', async () => {
    expect((await admin.get(`/admin/organizations/${acme.id}`)).status).toBe(200);
    expect(admin.lastHtml).toContain('Acme Hosting');
    expect(admin.lastHtml).toContain('$1,234.56');
    for (const text of ['Olga Owner', owner.email, 'owner', 'Vic Viewer', 'vic.viewer@example.test', 'viewer']) expect(admin.lastHtml).toContain(text);
  });

  it('is a 404 for an unknown organization', async () => {
    expect((await admin.get('/admin/organizations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admin.get('/admin/organizations/nope')).status).toBe(404);
  });
});
