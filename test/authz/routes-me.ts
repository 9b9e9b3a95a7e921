import { verifyPassword } from '../../src/domain/accounts/passwords.ts';
import { beginTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { PASSWORD } from '../helpers/people.ts';
import { totpNow } from './fixtures.ts';
import type { Call, Requirement } from './routes.ts';

/**
 * The matrix's entries for the account's own settings over the JSON API (issue 16 item 13),
 * spread into ROUTES by routes.ts: profile, email address, password, two-factor and sign-ins.
 * Every one needs an access token (an API key is refused with 403); the ones that change how
 * the caller signs in are made by a fresh twin. A session named by id is the caller's own,
 * made for the call, or one of Globex's owner's: his is 404.
 */
const problem = (ok: boolean, what: string) => (ok ? null : what);
const u = () => Math.random().toString(36).slice(2, 10);
const me = (c: Call) => c.me!;
const userRow = (c: Call) =>
  c.fx.ctx.db.selectFrom('users').selectAll().where('id', '=', me(c).id).executeTakeFirstOrThrow();
/** A fresh twin holding an access token (a member or the platform admin): the one whose standing setup may change. */
const tokenTwin = (c: Call) => c.fresh && (c.caller.kind === 'member' || c.caller.kind === 'platform-admin');

export const ME_ROUTES: Record<string, Requirement> = {
  'PATCH /api/v1/me': {
    auth: 'user-token',
    setup: async () => ({ phone: `+1 555 ${Math.floor(1000 + Math.random() * 9000)}` }),
    body: (c) => ({ phone: c.made.phone! }),
    done: (c) => ({
      status: 200,
      shows: `"phone":"${c.made.phone}"`,
      effect: async () => problem((await userRow(c)).phone === c.made.phone, 'the phone number was not saved'),
    }),
  },
  'POST /api/v1/me/email': {
    auth: 'user-token',
    self: true,
    setup: async () => ({ email: `moved-${u()}@example.test` }),
    body: (c) => ({ email: c.made.email!, current_password: PASSWORD }),
    done: (c) => ({
      status: 200,
      shows: `"email":"${c.made.email}"`,
      effect: async () => problem((await userRow(c)).email === c.made.email, 'the address did not change'),
    }),
  },
  'POST /api/v1/me/password': {
    auth: 'user-token',
    self: true,
    setup: async () => ({ password: `new password ${u()}` }),
    body: (c) => ({ current_password: PASSWORD, new_password: c.made.password! }),
    done: (c) => ({
      status: 204,
      effect: async () =>
        problem(
          await verifyPassword(c.made.password!, (await userRow(c)).password_hash),
          'the password did not change',
        ),
    }),
  },
  'GET /api/v1/me/two-factor': { auth: 'user-token', done: { status: 200, shows: '"enabled":' } },
  'POST /api/v1/me/two-factor/setup': {
    auth: 'user-token',
    self: true,
    body: () => ({ password: PASSWORD }),
    done: (c) => ({
      status: 200,
      shows: '"otpauth_uri":"otpauth://totp/',
      effect: async () => problem((await userRow(c)).totp_secret !== null, 'no setup was started'),
    }),
  },
  'POST /api/v1/me/two-factor/enable': {
    auth: 'user-token',
    self: true,
    setup: async (c) => {
      if (tokenTwin(c)) return { secret: (await beginTotpSetup(c.fx.ctx.deps, me(c).id, PASSWORD)).secret };
    },
    body: async (c) => ({ code: c.made.secret ? await totpNow(c.fx.ctx, c.made.secret) : '000000' }),
    done: (c) => ({
      status: 200,
      shows: '"recovery_codes":[',
      effect: async () => problem((await userRow(c)).totp_enabled_at !== null, 'two-factor is not on'),
    }),
  },
  'POST /api/v1/me/two-factor/disable': {
    auth: 'user-token',
    self: true,
    setup: async (c) => (tokenTwin(c) ? { code: (await c.fx.make.twoFactorOn(me(c).id))[0]! } : undefined),
    body: (c) => ({ password: PASSWORD, code: c.made.code ?? '000000' }),
    done: (c) => ({
      status: 200,
      shows: '"enabled":false',
      effect: async () => problem((await userRow(c)).totp_enabled_at === null, 'two-factor is still on'),
    }),
  },
  'GET /api/v1/me/sessions': { auth: 'user-token', done: { status: 200, shows: '"current":true' } },
  'DELETE /api/v1/me/sessions/:id': {
    auth: 'user-token',
    record: {
      of: 'user',
      own: (c) => (c.me ? c.fx.make.sessionOf(c.me.id) : crypto.randomUUID()),
      foreign: (c) => c.fx.globex.sessionId,
    },
    done: (c) => ({
      status: 204,
      effect: async () =>
        problem(
          (await c.fx.ctx.db.selectFrom('sessions').select('id').where('id', '=', c.params.id!).executeTakeFirst()) ===
            undefined,
          'the session is still live',
        ),
    }),
  },
};
