import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { apiClient, ISO_UTC } from './client.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const userCount = async () =>
  Number(
    (
      await ctx.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('POST /api/v1/auth/register', () => {
  it('creates Ada with her personal organization and answers 201 in snake_case, without any secret', async () => {
    const call = apiClient(ctx, '198.51.100.1');
    const res = await call('POST', '/auth/register', {
      body: { name: 'Ada Lovelace', email: 'Ada@Example.test', password: 'a good password' },
    });

    expect(res.status).toBe(201);
    const { user, organization } = res.body;
    expect(Object.keys(res.body).sort()).toEqual(['organization', 'user']);
    expect(user).toMatchObject({
      email: 'ada@example.test',
      name: 'Ada Lovelace',
      is_admin: false,
      two_factor_enabled: false,
      email_verified_at: null,
      timezone: 'UTC',
      phone: null,
    });
    expect(user.created_at).toMatch(ISO_UTC);
    expect(user.active_organization_id).toBe(organization.id);
    expect(organization).toMatchObject({ personal: true, role: 'owner', balance: '0.00', currency: 'USD' });
    expect(organization.permissions.length).toBeGreaterThan(0);
    expect(organization.created_at).toMatch(ISO_UTC);
    const raw = JSON.stringify(res.body);
    expect(raw).not.toMatch(/password|totp|\$2[aby]\$/);
    expect(raw).not.toMatch(/"[a-z]+[A-Z]\w*":/); // no camelCase keys

    const row = await ctx.db
      .selectFrom('users')
      .select(['id', 'password_hash'])
      .where('email', '=', 'ada@example.test')
      .executeTakeFirstOrThrow();
    expect(row.id).toBe(user.id);
    expect(row.password_hash).toMatch(/^\$2[aby]\$/);
    const welcome = await ctx.db
      .selectFrom('emails')
      .select('template')
      .where('to_address', '=', 'ada@example.test')
      .execute();
    expect(welcome.map((e) => e.template)).toEqual(['welcome']);
  });

  it('refuses an email address that is already registered, whatever its case, with 422 naming the email field', async () => {
    const tess = await createPerson(ctx, 'Tess Taken', { email: uniqueEmail('Tess Taken') });
    const before = await userCount();
    const res = await apiClient(ctx, '198.51.100.2')('POST', '/auth/register', {
      body: { name: 'Someone Else', email: tess.email.toUpperCase(), password: 'another password' },
    });

    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.fields)).toEqual(['email']);
    expect(res.body.error.fields.email).toMatch(/already exists/);
    expect(await userCount()).toBe(before);
  });

  it('refuses bad input with 422 naming every bad field, and writes nothing', async () => {
    const before = await userCount();
    const call = apiClient(ctx, '198.51.100.3');

    const bad = await call('POST', '/auth/register', {
      body: { name: '  ', email: 'not-an-email', password: 'short' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 'validation_failed', message: expect.any(String) });
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['email', 'name', 'password']);
    expect(bad.body.error.fields.password).toMatch(/at least 8/);

    const empty = await call('POST', '/auth/register', { body: {} });
    expect(empty.status).toBe(422);
    expect(Object.keys(empty.body.error.fields).sort()).toEqual(['email', 'name', 'password']);

    const wrongTypes = await call('POST', '/auth/register', {
      body: { name: 42, email: ['a@b.test'], password: null },
    });
    expect(wrongTypes.status).toBe(422);
    expect(Object.keys(wrongTypes.body.error.fields).sort()).toEqual(['email', 'name', 'password']);

    expect(await userCount()).toBe(before);
  });
});
