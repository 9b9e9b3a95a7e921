import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import { createOrganization } from '../../src/domain/organizations/create.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { fundWallet } from '../helpers/money.ts';

let ctx: TestContext;
let admin: TestBrowser;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

// Each test's own staff member, signed in.
beforeEach(async () => {
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');
});

/** This test's own Acme Hosting (named with a tag no other test uses): Olga owns it, Vic is a viewer, its wallet holds $1,234.56. */
async function acme() {
  const tag = randomBytes(3).toString('hex');
  const owner = await createPerson(ctx, 'Olga Owner', { verified: true, email: uniqueEmail('Olga Owner') });
  const vic = await createPerson(ctx, 'Vic Viewer', { verified: true, email: uniqueEmail('Vic Viewer') });
  const org = await inTransaction(ctx.db, async (trx) => {
    const made = await createOrganization(trx, {
      name: `Acme Hosting ${tag}`,
      ownerId: owner.id,
      personal: false,
      currency: 'USD',
    });
    const viewer = await trx
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', made.id)
      .where('name', '=', 'viewer')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('organization_members')
      .values({ organization_id: made.id, user_id: vic.id, role_id: viewer.id })
      .execute();
    await fundWallet(trx, made.id, 1_234_560_000n);
    return made;
  });
  return { id: org.id, tag, owner, vic };
}

const rowIds = (html: string) => [...html.matchAll(/id="organization-([0-9a-f-]{36})"/g)].map((m) => m[1]);

describe('organizations in the admin area', () => {
  it('finds organizations by name, whatever the case', async () => {
    const { id, tag } = await acme();
    await admin.get(`/admin/organizations?q=${encodeURIComponent(`ACME HOSTING ${tag.toUpperCase()}`)}`);
    expect(rowIds(admin.lastHtml)).toEqual([id]);
  });

  it('shows 50 a page', async () => {
    const tag = `bulk${randomBytes(3).toString('hex')}`;
    await ctx.db
      .insertInto('organizations')
      .values(Array.from({ length: 52 }, (_, i) => ({ name: `Org ${tag} ${String(i + 1).padStart(2, '0')}` })))
      .execute();
    await admin.get(`/admin/organizations?q=${tag}`);
    const first = rowIds(admin.lastHtml);
    expect(first).toHaveLength(50);
    expect(admin.lastHtml).toContain(`href="/admin/organizations?q=${tag}&amp;page=2"`);
    await admin.get(`/admin/organizations?q=${tag}&page=2`);
    const second = rowIds(admin.lastHtml);
    expect(second).toHaveLength(2);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
  });

  it('shows one organization with its members, their roles, and the wallet balance', async () => {
    const { id, tag, owner, vic } = await acme();
    expect((await admin.get(`/admin/organizations/${id}`)).status).toBe(200);
    expect(admin.lastHtml).toContain(`Acme Hosting ${tag}`);
    expect(admin.lastHtml).toContain('$1,234.56');
    for (const text of ['Olga Owner', owner.email, 'owner', 'Vic Viewer', vic.email, 'viewer'])
      expect(admin.lastHtml).toContain(text);
  });

  it('is a 404 for an unknown organization', async () => {
    expect((await admin.get('/admin/organizations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admin.get('/admin/organizations/nope')).status).toBe(404);
  });
});
