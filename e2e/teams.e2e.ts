import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createPerson } from '../test/helpers/people.ts';
import { expectNoProblems, openPage, signIn, useLiveApp } from './helpers.ts';
import { receivedEmail } from '../test/helpers/mail.ts';

const app = useLiveApp();

const signInAs = (page: Page, email: string) => signIn(app.live, page, email);

/** The controls a member who manages the team sees, and a viewer must not: each counted on its page. */
async function managementControls(page: Page) {
  await page.goto(`${app.live.origin}/organization/members`);
  const invite = await page.getByRole('button', { name: 'Send invitation' }).count();
  const roleSelects = await page.getByRole('combobox', { name: /^Role of / }).count();
  const settingsLink = await page
    .getByRole('navigation', { name: 'Portal' })
    .getByRole('link', { name: 'Organization settings' })
    .count();
  await page.goto(`${app.live.origin}/organization/roles`);
  const createRole = await page.getByRole('button', { name: 'Create role' }).count();
  const editRole = await page.getByRole('link', { name: 'Edit Team lead' }).count();
  return { invite, roleSelects, settingsLink, createRole, editRole };
}

describe('teams', () => {
  it('Olivia invites Theo as a team lead, Theo accepts, Olivia makes him a viewer, and Theo no longer sees the management controls', async () => {
    const olivia = await createPerson(app.live.ctx, 'Olivia Owner', { verified: true });
    const theo = await createPerson(app.live.ctx, 'Theo Teammate', { verified: true });
    const owner = await openPage(app.browser);
    const teammate = await openPage(app.browser);

    // Olivia sets up a team organization and a role that may manage its people and settings.
    await signInAs(owner.page, olivia.email);
    await owner.page.goto(`${app.live.origin}/organizations`);
    await owner.page.getByLabel('Name').fill('Northwind Hosting');
    await owner.page.getByRole('button', { name: 'Create organization' }).click();
    await owner.page.waitForURL(`${app.live.origin}/organization/members`);
    await owner.page.getByRole('link', { name: 'Roles', exact: true }).click();
    await owner.page.waitForURL(`${app.live.origin}/organization/roles`);
    await owner.page.getByLabel('Name').fill('Team lead');
    for (const permission of ['vps view', 'tickets view', 'members manage', 'settings manage'])
      await owner.page.getByLabel(permission, { exact: true }).check();
    await owner.page.getByRole('button', { name: 'Create role' }).click();
    await expect.poll(() => owner.page.getByRole('status').textContent()).toContain('The role “Team lead” is created.');

    // The invitation: sent from the members page, listed as pending, delivered by email.
    await owner.page.getByRole('link', { name: 'Members' }).click();
    await owner.page.waitForURL(`${app.live.origin}/organization/members`);
    await owner.page.getByLabel('Email address').fill(theo.email);
    await owner.page.getByLabel('Role', { exact: true }).selectOption({ label: 'Team lead' });
    await owner.page.getByRole('button', { name: 'Send invitation' }).click();
    await expect
      .poll(() => owner.page.getByRole('status').textContent())
      .toBe(`We emailed an invitation to ${theo.email}.`);
    const pending = owner.page.getByRole('listitem').filter({ hasText: theo.email });
    expect(await pending.textContent()).toContain('Team lead');

    const mail = (await receivedEmail(app.live.ctx, theo.email, 'invitation'))!;
    const link = new RegExp(`${app.live.origin}/invitations/[\\w-]+`).exec(mail.text)?.[0];
    expect(link, `invitation link in:\n${mail.text}`).toBeDefined();

    // Theo, already a SkyPanel customer, opens the link and joins.
    await signInAs(teammate.page, theo.email);
    await teammate.page.goto(link!);
    expect(await teammate.page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'Invitation to Northwind Hosting',
    );
    await teammate.page.getByRole('button', { name: 'Accept and join' }).click();
    await teammate.page.waitForURL(`${app.live.origin}/dashboard`);
    expect(await teammate.page.getByRole('status').textContent()).toContain(
      'Welcome to Northwind Hosting! You joined as Team lead.',
    );
    expect(await managementControls(teammate.page)).toEqual({
      invite: 1,
      roleSelects: 1,
      settingsLink: 1,
      createRole: 1,
      editRole: 1,
    });

    // Olivia sees Theo among the members and makes him a viewer.
    await owner.page.reload();
    expect(await owner.page.getByRole('listitem').filter({ hasText: theo.email }).count()).toBe(0);
    const theoRole = owner.page.getByRole('combobox', { name: 'Role of Theo Teammate' });
    expect(await theoRole.locator('option:checked').textContent()).toBe('Team lead');
    // Choosing a role saves it at once (htmx swaps in the fresh member list).
    const saved = owner.page.waitForResponse(
      (r) => r.request().method() === 'PATCH' && r.url() === `${app.live.origin}/organization/members/${theo.id}`,
    );
    await theoRole.selectOption({ label: 'viewer' });
    expect((await saved).status()).toBe(200);
    await owner.page.reload();
    expect(
      await owner.page.getByRole('combobox', { name: 'Role of Theo Teammate' }).locator('option:checked').textContent(),
    ).toBe('viewer');

    // On Theo's next request the controls are gone; he still sees his team and its roles.
    expect(await managementControls(teammate.page)).toEqual({
      invite: 0,
      roleSelects: 0,
      settingsLink: 0,
      createRole: 0,
      editRole: 0,
    });
    expect(await teammate.page.getByRole('row').filter({ hasText: 'Team lead' }).count()).toBe(1);
    await teammate.page.goto(`${app.live.origin}/organization/members`);
    const theoRow = teammate.page.getByRole('row').filter({ hasText: theo.email });
    expect(await theoRow.getByRole('cell').nth(2).textContent()).toMatch(/^\s*viewer\s*$/);
    expect(await teammate.page.getByRole('heading', { name: 'Invite someone' }).count()).toBe(0);

    await owner.context.close();
    await teammate.context.close();
    expectNoProblems(owner, teammate);
  });
});
