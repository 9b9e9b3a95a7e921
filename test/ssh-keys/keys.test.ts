import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKeysFor } from '../../src/domain/ssh-keys/keys.ts';
import { ValidationError } from '../../src/lib/errors.ts';
import { apiClient, ISO_UTC, person, tokenFor } from '../api/client.ts';
import { activityOf, joinAs } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { KEYS } from './fixtures.ts';

/**
 * Olive owns Acme and keeps its SSH keys with Victor (vps_manager: may add and delete), Mia
 * (member: may look) and Vera (viewer: may not even look). Gus owns Globex next door.
 */
let ctx: TestContext;
let cast: Awaited<ReturnType<typeof makeCast>>;

async function makeCast() {
  const [olive, victor, mia, vera, gus] = await Promise.all([
    person(ctx, 'Olive Owner'),
    person(ctx, 'Victor Vps'),
    person(ctx, 'Mia Member'),
    person(ctx, 'Vera Viewer'),
    person(ctx, 'Gus Globex'),
  ]);
  await joinAs(ctx, olive.organizationId, victor.id, 'vps_manager');
  await joinAs(ctx, olive.organizationId, mia.id, 'member');
  await joinAs(ctx, olive.organizationId, vera.id, 'viewer');
  const api = apiClient(ctx, '198.51.100.70');
  const tokens = {
    olive: await tokenFor(ctx, olive.email, '198.51.100.70'),
    victor: await tokenFor(ctx, victor.email, '198.51.100.70'),
    mia: await tokenFor(ctx, mia.email, '198.51.100.70'),
    vera: await tokenFor(ctx, vera.email, '198.51.100.70'),
    gus: await tokenFor(ctx, gus.email, '198.51.100.70'),
  };
  return { olive, victor, mia, vera, gus, acme: olive.organizationId, globex: gus.organizationId, api, tokens };
}

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await makeCast();
});
afterAll(async () => ctx.close());

const add = (token: string, body: Record<string, unknown>) => cast.api('POST', '/ssh-keys', { token, body });
const keysOf = (orgId: string) =>
  ctx.db.selectFrom('ssh_keys').selectAll().where('organization_id', '=', orgId).orderBy('created_at').execute();

describe('SSH keys over the JSON API', () => {
  it('Victor adds an Ed25519 key: 201 with its id, name, fingerprint and time, and it is listed', async () => {
    const res = await add(cast.tokens.victor, { name: 'Victor laptop', public_key: KEYS.ed25519.line });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'Victor laptop',
      fingerprint: KEYS.ed25519.fingerprint,
      type: 'ssh-ed25519',
      public_key: KEYS.ed25519.line,
      created_at: expect.stringMatching(ISO_UTC),
    });
    const list = await cast.api('GET', '/ssh-keys', { token: cast.tokens.mia });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(res.body.id);
    const [logged] = await activityOf(ctx, 'ssh_key.added', cast.victor.id);
    expect(logged).toMatchObject({ organization_id: cast.acme, target_type: 'ssh_key', target_id: res.body.id });
    expect(logged!.details).toMatchObject({ name: 'Victor laptop', fingerprint: KEYS.ed25519.fingerprint });
  });

  it('refuses the same key again in Acme with 409, but Globex may add it to its own list', async () => {
    const again = await add(cast.tokens.olive, {
      name: 'Olive copy',
      public_key: KEYS.ed25519.line.replace('olive@laptop', 'other comment'),
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect(again.body.error.message).toMatch(/already has this key, as “Victor laptop”/);
    const globex = await add(cast.tokens.gus, { name: 'Gus', public_key: KEYS.ed25519.line });
    expect(globex.status).toBe(201);
    expect((await keysOf(cast.acme)).filter((k) => k.fingerprint === KEYS.ed25519.fingerprint)).toHaveLength(1);
  });

  it('names a key after its comment when no name is given, and needs a name when there is no comment', async () => {
    const named = await add(cast.tokens.olive, { public_key: KEYS.ecdsa384.line });
    expect(named.status).toBe(201);
    expect(named.body.name).toBe('ec384');
    const nameless = await add(cast.tokens.olive, { public_key: KEYS.ecdsa256.line });
    expect(nameless.status).toBe(422);
    expect(nameless.body.error.fields.name).toMatch(/Enter a name/);
  });

  it('refuses a weak RSA key, garbage and a missing key with 422 naming public_key', async () => {
    for (const [body, message] of [
      [{ name: 'weak', public_key: KEYS.rsa1024.line }, /1024 bits/],
      [{ name: 'junk', public_key: 'ssh-ed25519 not-base64!' }, /base64/],
      [{ name: 'none' }, /Paste a public key/],
    ] as const) {
      const res = await add(cast.tokens.olive, body);
      expect(res.status).toBe(422);
      expect(res.body.error.fields.public_key).toMatch(message);
    }
  });

  it('a member may list but not add or delete; a viewer may not list (403)', async () => {
    expect((await add(cast.tokens.mia, { name: 'm', public_key: KEYS.rsa2048.line })).status).toBe(403);
    expect((await cast.api('GET', '/ssh-keys', { token: cast.tokens.vera })).status).toBe(403);
    const [key] = await keysOf(cast.acme);
    expect((await cast.api('DELETE', `/ssh-keys/${key!.id}`, { token: cast.tokens.mia })).status).toBe(403);
  });

  it('pages the list with a cursor, newest first', async () => {
    const first = await cast.api('GET', '/ssh-keys?limit=1', { token: cast.tokens.olive });
    expect(first.body.data).toHaveLength(1);
    expect(first.body.has_more).toBe(true);
    const second = await cast.api('GET', `/ssh-keys?limit=1&cursor=${first.body.next_cursor}`, {
      token: cast.tokens.olive,
    });
    expect(second.body.data).toHaveLength(1);
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
    expect(new Date(second.body.data[0].created_at) <= new Date(first.body.data[0].created_at)).toBe(true);
  });

  it('Gus cannot see or delete an Acme key: 404, and Acme’s key stays', async () => {
    const [acmeKey] = await keysOf(cast.acme);
    expect((await cast.api('DELETE', `/ssh-keys/${acmeKey!.id}`, { token: cast.tokens.gus })).status).toBe(404);
    const list = await cast.api('GET', '/ssh-keys', { token: cast.tokens.gus });
    expect(list.body.data.map((k: { id: string }) => k.id)).not.toContain(acmeKey!.id);
    // Naming Acme in the header is naming an organization he is not in.
    const named = await cast.api('GET', '/ssh-keys', {
      token: cast.tokens.gus,
      headers: { 'x-organization-id': cast.acme },
    });
    expect(named.status).toBe(404);
    expect((await keysOf(cast.acme)).map((k) => k.id)).toContain(acmeKey!.id);
    expect((await cast.api('DELETE', '/ssh-keys/not-a-uuid', { token: cast.tokens.olive })).status).toBe(404);
  });

  it('Victor deletes a key: 204, gone, recorded', async () => {
    const made = await add(cast.tokens.victor, { name: 'temporary', public_key: KEYS.ecdsa521.line });
    const res = await cast.api('DELETE', `/ssh-keys/${made.body.id}`, { token: cast.tokens.victor });
    expect(res.status).toBe(204);
    expect((await keysOf(cast.acme)).map((k) => k.id)).not.toContain(made.body.id);
    expect((await activityOf(ctx, 'ssh_key.deleted', cast.victor.id)).at(-1)).toMatchObject({
      target_id: made.body.id,
    });
    expect((await cast.api('DELETE', `/ssh-keys/${made.body.id}`, { token: cast.tokens.victor })).status).toBe(404);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await cast.api('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/ssh-keys', '/ssh-keys/{id}']));
    expect(doc.body.paths['/ssh-keys'].post.responses['409']).toBeDefined();
  });
});

describe('publicKeysFor (server create and rebuild)', () => {
  it('gives the key lines of the organization’s keys, in the order asked, once each', async () => {
    const keys = await keysOf(cast.acme);
    const ids = keys.map((k) => k.id).reverse();
    expect(await publicKeysFor(ctx.db, cast.acme, [...ids, ids[0]!])).toEqual(
      ids.map((id) => keys.find((k) => k.id === id)!.public_key),
    );
    expect(await publicKeysFor(ctx.db, cast.acme, [])).toEqual([]);
  });

  it('refuses another organization’s key, an unknown id and a malformed one on ssh_key_ids', async () => {
    const [globexKey] = await keysOf(cast.globex);
    const [acmeKey] = await keysOf(cast.acme);
    for (const ids of [[acmeKey!.id, globexKey!.id], [crypto.randomUUID()], ['1; drop table ssh_keys']]) {
      const err = await publicKeysFor(ctx.db, cast.acme, ids).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).fields).toHaveProperty('ssh_key_ids');
    }
  });
});

describe('the SSH keys page', () => {
  it('shows Olive the keys with fingerprints, and adds one through the form', async () => {
    const browser = await signedIn(ctx, cast.olive.email);
    const page = await browser.get('/ssh-keys');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(KEYS.ed25519.fingerprint);
    expect(html).toContain('Add key');
    const res = await browser.post('/ssh-keys', { name: 'Deploy <bot>', public_key: KEYS.rsa2048.line });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ssh-keys');
    const after = await (await browser.get('/ssh-keys')).text();
    expect(after).toContain(KEYS.rsa2048.fingerprint);
    expect(after).toContain('Deploy &lt;bot&gt;');
    expect(after).not.toContain('Deploy <bot>');
  });

  it('answers a bad or duplicate key with the form again (422), what was typed and the reason', async () => {
    const browser = await signedIn(ctx, cast.olive.email);
    await browser.get('/ssh-keys');
    const bad = await browser.post('/ssh-keys', { name: 'weak one', public_key: KEYS.rsa1024.line });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toMatch(/1024 bits; use at least 2048/);
    expect(html).toContain('value="weak one"');
    const dup = await browser.post('/ssh-keys', { name: 'again', public_key: KEYS.rsa2048.line });
    expect(dup.status).toBe(422);
    expect(await dup.text()).toMatch(/already has this key, as “Deploy &lt;bot&gt;”/);
  });

  it('lets Victor delete a key with htmx, answering the list without it', async () => {
    const [key] = await keysOf(cast.acme);
    const browser = await signedIn(ctx, cast.victor.email);
    await browser.get('/ssh-keys');
    const res = await browser.post(`/ssh-keys/${key!.id}`, {}, { method: 'DELETE', headers: { 'hx-request': 'true' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="ssh-keys"');
    expect(html).not.toContain(key!.fingerprint);
  });

  it('shows Mia the list without the form or delete buttons; refuses Vera (403) and Mia’s post (403)', async () => {
    const mia = await signedIn(ctx, cast.mia.email);
    const html = await (await mia.get('/ssh-keys')).text();
    expect(html).toContain(KEYS.rsa2048.fingerprint);
    expect(html).not.toContain('Add key');
    expect(html).not.toContain('hx-delete');
    expect((await mia.post('/ssh-keys', { name: 'x', public_key: KEYS.ecdsa521.line })).status).toBe(403);
    const vera = await signedIn(ctx, cast.vera.email);
    expect((await vera.get('/ssh-keys')).status).toBe(403);
    expect(await (await vera.get('/dashboard')).text()).not.toContain('href="/ssh-keys"');
    expect(await (await mia.get('/dashboard')).text()).toContain('href="/ssh-keys"');
  });

  it('gives Gus a 404 for deleting an Acme key from his browser', async () => {
    const [key] = await keysOf(cast.acme);
    const gus = await signedIn(ctx, cast.gus.email);
    await gus.get('/ssh-keys');
    expect((await gus.post(`/ssh-keys/${key!.id}`, {}, { method: 'DELETE' })).status).toBe(404);
    expect((await keysOf(cast.acme)).map((k) => k.id)).toContain(key!.id);
  });
});
