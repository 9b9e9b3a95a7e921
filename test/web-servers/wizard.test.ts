import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../src/domain/ssh-keys/parse.ts';
import { signedIn } from '../helpers/people.ts';
import { freshKeyLine } from '../ssh-keys/fixtures.ts';
import { usd } from '../helpers/servers.ts';
import { balanceOf, customer, serverRow, serverWorld, type ServerWorld } from './helpers.ts';

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

/** A wizard step's form as the browser would send it: every hidden field of the last page, plus `fields`. */
function hidden(html: string): Array<[string, string]> {
  return [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)]
    .filter(([, name]) => name !== '_csrf')
    .map(([, name, value]) => [
      name!,
      value!
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'"),
    ]);
}

async function step(
  b: Awaited<ReturnType<typeof signedIn>>,
  fields: Record<string, string | string[]>,
  path = '/vps/new',
) {
  const body = new URLSearchParams([['_csrf', b.csrf], ...hidden(b.lastHtml)]);
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  const res = await world.ctx.app.request(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
      cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
    body,
  });
  if ((res.headers.get('content-type') ?? '').includes('text/html')) b.lastHtml = await res.clone().text();
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const [name, ...rest] = pair!.split('=');
    if (rest.join('=')) b.cookies.set(name!.trim(), rest.join('='));
  }
  return res;
}

const stepShown = (html: string) => /name="step" value="(\w+)"/.exec(html)?.[1];

describe('the create wizard', () => {
  it('walks label → region → plan → app → image → access → options → review, and creates the server', async () => {
    const olga = await customer(world, 'Olga Wizard');
    const b = await signedIn(world.ctx, olga.email);
    const start = await b.get('/vps/new');
    expect(start.status).toBe(200);
    expect(stepShown(b.lastHtml)).toBe('label');

    expect((await step(b, { step: 'label', label: 'web-1' })).status).toBe(200);
    expect(stepShown(b.lastHtml)).toBe('region');
    expect(b.lastHtml).toContain('Singapore');

    await step(b, { step: 'region', region: 'ap-south' });
    expect(stepShown(b.lastHtml)).toBe('plan');
    // Only the plans sold in Singapore: Small, not Medium (us-east, eu-central) or Dedicated (us-east).
    expect(b.lastHtml).toContain(world.catalogue.plans.small.name);
    expect(b.lastHtml).not.toContain(world.catalogue.plans.medium.name);
    expect(b.lastHtml).not.toContain(world.catalogue.plans.dedicated.name);
    // 15.00 a month; 15 / 730 = 0.020548 an hour.
    expect(b.lastHtml).toContain('$15.00');
    expect(b.lastHtml).toContain('$0.0205');
    expect(b.lastHtml).toContain('2000 GB');

    await step(b, { step: 'plan', plan_id: world.catalogue.plans.small.id });
    expect(stepShown(b.lastHtml)).toBe('app');
    await step(b, { step: 'app', app_id: '' });
    expect(stepShown(b.lastHtml)).toBe('image');
    expect(b.lastHtml).toContain('Debian 12');
    await step(b, { step: 'image', image: 'debian12' });
    expect(stepShown(b.lastHtml)).toBe('access');
    await step(b, { step: 'access', password_mode: 'generate' });
    expect(stepShown(b.lastHtml)).toBe('options');
    expect(b.lastHtml).toContain('+$3.00/mo');
    await step(b, { step: 'options', backups: 'on' });
    expect(stepShown(b.lastHtml)).toBe('review');
    // With backups: 18.00 a month, 18 / 730 = 0.024658 an hour; 50.00 − 0.024658 = 49.975342.
    expect(b.lastHtml).toContain('data-testid="quote-hourly">$0.0247');
    expect(b.lastHtml).toContain('data-testid="quote-monthly">$18.00');
    expect(b.lastHtml).toContain('data-testid="quote-after">$49.9753');

    const created = await step(b, {}, '/vps');
    expect(created.status).toBe(303);
    const location = created.headers.get('location')!;
    expect(location).toMatch(/^\/vps\/[0-9a-f-]{36}$/);
    expect(location).not.toMatch(/password/i);
    const id = location.split('/')[2]!;
    const row = await serverRow(world, id);
    expect(row).toMatchObject({ label: 'web-1', region: 'ap-south', image: 'debian12', backups_enabled: true });
    expect(await balanceOf(world, olga.organization.id)).toBe(usd(50) - 24_658n);

    // The generated password is shown once on the server page, then never again.
    const page = await b.get(location);
    expect(page.status).toBe(200);
    const password = /data-testid="root-password">([^<]+)</.exec(b.lastHtml)?.[1];
    expect(password).toMatch(/^\S{24}$/);
    expect(JSON.stringify(row)).not.toContain(password!);
    await b.get(location);
    expect(b.lastHtml).not.toContain('data-testid="root-password"');
  });

  it('shows a step again with its message and 422 when its choice is missing or wrong', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Wren Wrong')).email);
    await b.get('/vps/new');
    const bad = await step(b, { step: 'label', label: 'no spaces allowed' });
    expect(bad.status).toBe(422);
    expect(stepShown(b.lastHtml)).toBe('label');
    expect(b.lastHtml).toContain('Use 1 to 64 letters, digits, dots, dashes or underscores.');

    await step(b, { step: 'label', label: 'ok-name' });
    await step(b, { step: 'region', region: 'ap-south' });
    // A plan not sold in Singapore (sent by hand).
    const notSold = await step(b, { step: 'plan', plan_id: world.catalogue.plans.dedicated.id });
    expect(notSold.status).toBe(422);
    expect(stepShown(b.lastHtml)).toBe('plan');
    expect(b.lastHtml).toContain('Choose a plan sold in this region.');

    await step(b, { step: 'plan', plan_id: world.catalogue.plans.small.id });
    await step(b, { step: 'app', app_id: '' });
    await step(b, { step: 'image', image: 'debian12' });
    const weak = await step(b, { step: 'access', password_mode: 'type', root_password: 'short' });
    expect(weak.status).toBe(422);
    expect(b.lastHtml).toContain('Use at least 11 characters.');
    expect(b.lastHtml).not.toContain('value="short"');
  });

  it('checks earlier choices again: a region changed in a hidden field sends the customer back to that step', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Hana Hidden')).email);
    await b.get('/vps/new');
    await step(b, { step: 'label', label: 'hidden-1' });
    await step(b, { step: 'region', region: 'ap-south' });
    b.lastHtml = b.lastHtml.replace('name="region" value="ap-south"', 'name="region" value="mars-1"');
    const res = await step(b, { step: 'plan', plan_id: world.catalogue.plans.small.id });
    expect(res.status).toBe(422);
    expect(stepShown(b.lastHtml)).toBe('region');
  });

  it('asks for the app settings when an app is chosen, and forgets them when the app is changed', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Abe Apps')).email);
    await b.get('/vps/new');
    await step(b, { step: 'label', label: 'blog' });
    await step(b, { step: 'region', region: 'us-east' });
    await step(b, { step: 'plan', plan_id: world.catalogue.plans.small.id });
    await step(b, { step: 'app', app_id: world.catalogue.appId });
    expect(stepShown(b.lastHtml)).toBe('app_fields');
    expect(b.lastHtml).toContain('WordPress settings');
    await step(b, { step: 'app_fields', 'app_data.site_title': 'My blog' });
    expect(stepShown(b.lastHtml)).toBe('image');
    expect(b.lastHtml).toContain('name="app_data.site_title" value="My blog"');
    // Going back to change the app drops the settings of the app no longer chosen.
    await step(b, { go: 'app', step: 'image' });
    expect(stepShown(b.lastHtml)).toBe('app');
    await step(b, { step: 'app', app_id: '' });
    expect(stepShown(b.lastHtml)).toBe('image');
    expect(b.lastHtml).not.toContain('app_data.site_title');
  });

  it('refuses the create with the review step and 422 when the wallet does not cover the first hour', async () => {
    const poor = await customer(world, 'Pat Poor', 0n);
    const b = await signedIn(world.ctx, poor.email);
    await b.get('/vps/new');
    for (const [s, f] of [
      ['label', { label: 'cheap' }],
      ['region', { region: 'us-east' }],
      ['plan', { plan_id: world.catalogue.plans.small.id }],
      ['app', { app_id: '' }],
      ['image', { image: 'debian12' }],
      ['access', { password_mode: 'generate' }],
      ['options', {}],
    ] as const)
      await step(b, { step: s, ...f });
    expect(stepShown(b.lastHtml)).toBe('review');
    expect(b.lastHtml).toContain('does not cover the first hour');
    const res = await step(b, {}, '/vps');
    expect(res.status).toBe(422);
    expect(stepShown(b.lastHtml)).toBe('review');
    expect(b.lastHtml).toContain('data-testid="wizard-error"');
    expect(
      await world.ctx.db
        .selectFrom('servers')
        .select('id')
        .where('organization_id', '=', poor.organization.id)
        .execute(),
    ).toEqual([]);
  });

  it('offers the organization’s SSH keys at the access step and refuses one that is not the organization’s', async () => {
    const kim = await customer(world, 'Kim Keys');
    const key = parsePublicKey(freshKeyLine());
    const { id: keyId } = await world.ctx.db
      .insertInto('ssh_keys')
      .values({
        organization_id: kim.organization.id,
        name: 'laptop',
        public_key: key.publicKey,
        fingerprint: key.fingerprint,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const b = await signedIn(world.ctx, kim.email);
    await b.get('/vps/new');
    for (const [s, f] of [
      ['label', { label: 'keyed' }],
      ['region', { region: 'us-east' }],
      ['plan', { plan_id: world.catalogue.plans.small.id }],
      ['app', { app_id: '' }],
      ['image', { image: 'debian12' }],
    ] as const)
      await step(b, { step: s, ...f });
    expect(stepShown(b.lastHtml)).toBe('access');
    expect(b.lastHtml).toContain('laptop');
    expect(b.lastHtml).toContain(key.fingerprint);
    const foreign = await step(b, { step: 'access', password_mode: 'generate', ssh_key_ids: crypto.randomUUID() });
    expect(foreign.status).toBe(422);
    await step(b, { step: 'access', password_mode: 'generate', ssh_key_ids: keyId });
    expect(stepShown(b.lastHtml)).toBe('options');
    await step(b, { step: 'options' });
    const created = await step(b, {}, '/vps');
    expect(created.status).toBe(303);
  });

  it('is refused (403) to a member without vps_create', async () => {
    const owner = await customer(world, 'Vic Viewer Owner');
    const viewer = await customer(world, 'Vic Viewer', 0n);
    const viewerRole = await world.ctx.db
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', owner.organization.id)
      .where('name', '=', 'viewer')
      .executeTakeFirstOrThrow();
    await world.ctx.db
      .insertInto('organization_members')
      .values({ organization_id: owner.organization.id, user_id: viewer.id, role_id: viewerRole.id })
      .execute();
    await world.ctx.db
      .updateTable('users')
      .set({ active_organization_id: owner.organization.id })
      .where('id', '=', viewer.id)
      .execute();
    const b = await signedIn(world.ctx, viewer.email);
    expect((await b.get('/vps/new')).status).toBe(403);
    expect((await b.get('/vps')).status).toBe(200);
    expect(b.lastHtml).not.toContain('href="/vps/new"');
  });
});
