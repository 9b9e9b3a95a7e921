import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  beginTotpSetup,
  confirmTotpSetup,
  disableTotp,
  pendingTotpSetup,
  remainingRecoveryCodes,
} from '../../../../domain/accounts/two-factor.ts';
import { getUser } from '../../../../domain/accounts/me.ts';
import type { AppDeps } from '../../../context.ts';
import { actor, caller, refuseApiKeys, requireToken, secured } from '../bearer-auth.ts';
import { errorResponses, json } from '../schemas.ts';

/**
 * Two-factor authentication (TOTP), as on Settings → Security, through the same functions
 * (domain/accounts/two-factor.ts): setup asks for the password and returns the secret, enabling
 * takes a first code and returns the recovery codes once, disabling asks for the password and a
 * current code (or a recovery code). Access tokens only: an API key never changes how its owner
 * signs in.
 */
const own = {
  ...secured,
  middleware: [requireToken, refuseApiKeys] as [MiddlewareHandler, MiddlewareHandler],
};
const keyRefused = 'Made with an API key: use an access token (POST /auth/tokens).';

const TwoFactorStatus = z
  .object({
    enabled: z.boolean(),
    recovery_codes_left: z.number().int().openapi({ description: 'Unused recovery codes; 0 when it is off.' }),
    setup_pending: z
      .boolean()
      .openapi({ description: 'A setup was started (POST /me/two-factor/setup) and not yet enabled with a code.' }),
  })
  .openapi('TwoFactorStatus');

const TwoFactorSetup = z
  .object({
    secret: z
      .string()
      .openapi({ description: 'Base32; type it into an authenticator app.', example: 'JBSWY3DPEHPK3PXP' }),
    otpauth_uri: z.string().openapi({
      description: 'The same secret as an `otpauth://totp/…` URI, for a QR code.',
      example: 'otpauth://totp/SkyPanel:frank%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=SkyPanel',
    }),
  })
  .openapi('TwoFactorSetup');

const RecoveryCodes = z
  .object({
    enabled: z.literal(true),
    recovery_codes: z.array(z.string()).openapi({
      description: 'Ten single-use codes, shown this once: keep them somewhere safe.',
      example: ['abcde-12345'],
    }),
  })
  .openapi('TwoFactorRecoveryCodes');

const Password = z.object({ password: z.string().openapi({ description: 'The account’s password.' }) });
const Code = z.object({
  code: z.string().openapi({ example: '123456', description: 'A current 6-digit code from the authenticator app.' }),
});
const Disable = z
  .object({
    password: z.string(),
    code: z.string().openapi({ description: 'A current 6-digit code, or an unused recovery code.' }),
  })
  .openapi('TwoFactorDisable');

export function twoFactorRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  async function status(userId: string): Promise<z.infer<typeof TwoFactorStatus>> {
    const user = await getUser(deps.db, userId);
    const enabled = user.totp_enabled_at !== null;
    return TwoFactorStatus.parse({
      enabled,
      recovery_codes_left: enabled ? await remainingRecoveryCodes(deps, userId) : 0,
      setup_pending: enabled ? false : (await pendingTotpSetup(deps, userId)) !== null,
    });
  }

  const read = createRoute({
    method: 'get',
    path: '/me/two-factor',
    tags: ['me'],
    operationId: 'getTwoFactor',
    summary: 'Whether two-factor authentication is on, and how many recovery codes are left (access tokens only)',
    ...own,
    responses: {
      200: { description: 'The status.', ...json(TwoFactorStatus) },
      ...errorResponses([401, 403, 429], { 403: keyRefused }),
    },
  });
  app.openapi(read, async (c) => c.json(await status(actor(c).user.id), 200));

  const setup = createRoute({
    method: 'post',
    path: '/me/two-factor/setup',
    tags: ['me'],
    operationId: 'startTwoFactorSetup',
    summary: 'Start (or restart) setup: a new secret, kept until enabled with a code (password; access tokens only)',
    ...own,
    request: { body: { required: true, ...json(Password.openapi('TwoFactorSetupRequest')) } },
    responses: {
      200: { description: 'The new secret; nothing is on until POST /me/two-factor/enable.', ...json(TwoFactorSetup) },
      ...errorResponses([400, 401, 403, 409, 413, 415, 422, 429], {
        403: keyRefused,
        409: '`already_enabled`: two-factor authentication is already on.',
        422: '`validation_failed`: a wrong `password`.',
        429: '`rate_limited`: too many wrong passwords (5 in 15 minutes). Wait `Retry-After` seconds.',
      }),
    },
  });
  app.openapi(setup, async (c) => {
    const started = await beginTotpSetup(deps, actor(c).user.id, c.req.valid('json').password);
    return c.json(TwoFactorSetup.parse({ secret: started.secret, otpauth_uri: started.uri }), 200);
  });

  const enable = createRoute({
    method: 'post',
    path: '/me/two-factor/enable',
    tags: ['me'],
    operationId: 'enableTwoFactor',
    summary:
      'Turn two-factor authentication on with a first code from the app set up with the secret (access tokens only)',
    ...own,
    request: { body: { required: true, ...json(Code.openapi('TwoFactorEnableRequest')) } },
    responses: {
      200: { description: 'On; the recovery codes, shown this once.', ...json(RecoveryCodes) },
      ...errorResponses([400, 401, 403, 409, 413, 415, 422, 429], {
        403: keyRefused,
        409: '`already_enabled`: two-factor authentication is already on.',
        422: '`validation_failed`: a wrong `code`, or no setup was started (start one with POST /me/two-factor/setup).',
      }),
    },
  });
  app.openapi(enable, async (c) => {
    const codes = await confirmTotpSetup(deps, actor(c).user.id, c.req.valid('json').code, caller(c));
    return c.json(RecoveryCodes.parse({ enabled: true, recovery_codes: codes }), 200);
  });

  const disable = createRoute({
    method: 'post',
    path: '/me/two-factor/disable',
    tags: ['me'],
    operationId: 'disableTwoFactor',
    summary: 'Turn two-factor authentication off (password and a current code; access tokens only)',
    ...own,
    request: { body: { required: true, ...json(Disable) } },
    responses: {
      200: { description: 'Off; the recovery codes are gone.', ...json(TwoFactorStatus) },
      ...errorResponses([400, 401, 403, 409, 413, 415, 422, 429], {
        403: keyRefused,
        409: '`not_enabled`: two-factor authentication is not on.',
        422: '`validation_failed`: a wrong `password` or `code`.',
        429: '`rate_limited`: too many wrong passwords or codes. Wait `Retry-After` seconds.',
      }),
    },
  });
  app.openapi(disable, async (c) => {
    const userId = actor(c).user.id;
    const { password, code } = c.req.valid('json');
    await disableTotp(deps, userId, password, code, caller(c));
    return c.json(await status(userId), 200);
  });

  return app;
}
