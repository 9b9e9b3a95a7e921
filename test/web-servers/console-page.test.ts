import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { customer, serverWorld, settle, type ServerWorld } from './helpers.ts';

/**
 * The console page (/vps/:id/console, issue 14 item 1): who gets the full-screen terminal page,
 * and what everyone else is told. The socket behind it is tested with the console's server
 * side (test/console/); typing in it, in the browser journey (e2e/console.e2e.ts).
 */

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

async function serverOf(b: TestBrowser, label: string) {
  const res = await b.post('/vps', {
    label,
    region: 'us-east',
    plan_id: world.catalogue.plans.small.id,
    image: 'debian12',
    password_mode: 'generate',
  });
  expect(res.status, b.lastHtml.slice(0, 500)).toBe(303);
  await settle(world);
  return res.headers.get('location')!.split('/')[2]!;
}

async function memberWithRole(orgId: string, name: string, roleName: string) {
  const person = await customer(world, name, 0n);
  const role = await world.ctx.db
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', orgId)
    .where('name', '=', roleName)
    .executeTakeFirstOrThrow();
  await world.ctx.db
    .insertInto('organization_members')
    .values({ organization_id: orgId, user_id: person.id, role_id: role.id })
    .execute();
  await world.ctx.db.updateTable('users').set({ active_organization_id: orgId }).where('id', '=', person.id).execute();
  return signedIn(world.ctx, person.email);
}

const consoleScript = () => world.ctx.deps.assets['js/console.js']!;

describe('the console page', () => {
  it('opens full screen for the owner from the server page’s Console button: the label, the modes, the terminal, no sidebar', async () => {
    const owner = await customer(world, 'Olga Owner');
    const b = await signedIn(world.ctx, owner.email);
    const id = await serverOf(b, 'console-1');
    await b.get(`/vps/${id}`);
    expect(b.lastHtml).toContain(`href="/vps/${id}/console"`);

    const res = await b.get(`/vps/${id}/console`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = b.lastHtml;
    expect(html).toContain('<title>Console · console-1 · SkyPanel</title>');
    expect(html).toContain(`data-tickets="/vps/${id}/console/tickets"`);
    expect(html).toContain('data-autoconnect="true"');
    expect(html).toMatch(/name="mode" value="lish" checked/);
    expect(html).toContain('value="ssh"');
    expect(html).toContain('data-console-terminal');
    expect(html).toContain(`href="/vps/${id}"><span aria-hidden="true">← </span>Back to server</a>`);
    expect(html).toContain('Ctrl+Shift+C');
    expect(html).toMatch(/<meta name="csrf-token" content="[^"]+">/);
    expect(html).not.toContain('aria-label="Portal"');
    expect(html).toMatch(new RegExp(`<script nonce="[^"]+" src="${consoleScript()}" defer></script>`));
    // Nothing loosened for the terminal: the same policy as every page.
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/style-src 'self' 'nonce-[^']+'(;|$)/);
    expect(csp).not.toContain('unsafe');
  });

  it('is the only page that loads the terminal', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Pia Pages')).email);
    const id = await serverOf(b, 'console-2');
    for (const path of ['/dashboard', '/vps', `/vps/${id}`]) {
      await b.get(path);
      expect(b.lastHtml, path).not.toContain(consoleScript());
    }
  });

  it('a viewer is told why there is no console (403), and sees no Console button', async () => {
    const owner = await customer(world, 'Omar Owner');
    const ob = await signedIn(world.ctx, owner.email);
    const id = await serverOf(ob, 'console-3');
    const vb = await memberWithRole(owner.organization.id, 'Vera Viewer', 'viewer');
    await vb.get(`/vps/${id}`);
    expect(vb.lastHtml).toContain('console-3');
    expect(vb.lastHtml).not.toContain(`/vps/${id}/console`);
    expect((await vb.get(`/vps/${id}/console`)).status).toBe(403);
    expect(vb.lastHtml).toContain('No console for console-3');
    expect(vb.lastHtml).toContain('a root shell');
    expect(vb.lastHtml).toContain(`href="/vps/${id}">Back to server</a>`);
    expect(vb.lastHtml).not.toContain(consoleScript());
    expect(vb.lastHtml).not.toContain('data-console');
  });

  it('a suspended server has no console (409, with the reason) and no Console button', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Sam Suspended')).email);
    const id = await serverOf(b, 'console-4');
    await world.ctx.db.updateTable('servers').set({ status: 'suspended' }).where('id', '=', id).execute();
    await b.get(`/vps/${id}`);
    expect(b.lastHtml).not.toContain(`/vps/${id}/console"`);
    expect((await b.get(`/vps/${id}/console`)).status).toBe(409);
    expect(b.lastHtml).toContain('No console for console-4');
    expect(b.lastHtml).toMatch(/suspended/);
    expect(b.lastHtml).not.toContain(consoleScript());
  });

  it('a deleted server has no console either (409)', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Dora Deleted')).email);
    const id = await serverOf(b, 'console-5');
    await world.ctx.db.updateTable('servers').set({ status: 'deleted' }).where('id', '=', id).execute();
    expect((await b.get(`/vps/${id}/console`)).status).toBe(409);
    expect(b.lastHtml).toContain('deleted');
  });

  it('another organization’s server, an unknown id and a malformed one are 404, and say nothing about it', async () => {
    const ob = await signedIn(world.ctx, (await customer(world, 'Gus Globex')).email);
    const id = await serverOf(ob, 'foreign-console');
    const stranger = await signedIn(world.ctx, (await customer(world, 'Sid Stranger')).email);
    for (const path of [`/vps/${id}/console`, '/vps/00000000-0000-4000-8000-000000000000/console', '/vps/x/console']) {
      expect((await stranger.get(path)).status, path).toBe(404);
      expect(stranger.lastHtml).not.toContain('foreign-console');
    }
  });

  it('an impersonating admin sees the page but starts the console only with its button, which asks for the ticket explicitly', async () => {
    const owner = await customer(world, 'Ivy Impersonated');
    const id = await serverOf(await signedIn(world.ctx, owner.email), 'console-6');
    const ada = await createPerson(world.ctx, 'Ada Admin', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Ada Admin'),
    });
    const admin = await signedIn(world.ctx, ada.email);
    await admin.get(`/admin/users/${owner.id}`);
    expect((await admin.post(`/admin/users/${owner.id}/impersonation`, { password: PASSWORD })).status).toBe(303);

    expect((await admin.get(`/vps/${id}/console`)).status).toBe(200);
    expect(admin.lastHtml).toContain('data-autoconnect="false"');
    expect(admin.lastHtml).toContain('data-impersonating="true"');
    expect(admin.lastHtml).toContain('Start console as this user');
    expect(admin.lastHtml).toContain('recorded in the activity log');
    // What the island sends: the JSON body with the page's CSRF token; `impersonation: true` only from the button.
    const ticket = (body: Record<string, unknown>) =>
      world.ctx.app.request(`/vps/${id}/console/tickets`, {
        method: 'POST',
        headers: {
          cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          'content-type': 'application/json',
          'x-csrf-token': /<meta name="csrf-token" content="([^"]+)">/.exec(admin.lastHtml)![1]!,
          'x-forwarded-for': '192.0.2.66',
        },
        body: JSON.stringify(body),
      });
    expect((await ticket({ mode: 'lish' })).status).toBe(403);
    const res = await ticket({ mode: 'lish', impersonation: true });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ mode: 'lish', url: '/console/socket' });
  });

  it('sends a visitor who is not signed in to sign in first', async () => {
    const res = await world.ctx.app.request('/vps/00000000-0000-4000-8000-000000000000/console', {
      headers: { 'x-forwarded-for': '192.0.2.77' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
  });
});
