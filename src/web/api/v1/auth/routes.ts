import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { revokeAccessToken } from '../../../../domain/accounts/access-tokens.ts';
import { authenticatePassword } from '../../../../domain/accounts/login.ts';
import { issueAccessToken } from '../../../../domain/accounts/sign-in.ts';
import { userOrganizations } from '../../../../domain/accounts/me.ts';
import { register } from '../../../../domain/accounts/register.ts';
import { verifySecondFactor } from '../../../../domain/accounts/two-factor.ts';
import { AppError, ValidationError } from '../../../../lib/errors.ts';
import type { AppDeps } from '../../../context.ts';
import { actor, refuseApiKeys, requireToken, secured } from '../bearer-auth.ts';
import { apiRateLimit } from '../limits.ts';
import { presentUser, User } from '../me/schemas.ts';
import { Organization, presentOrganization } from '../organizations/schemas.ts';
import { errorResponses, json } from '../schemas.ts';
import { AccessToken, RegisterRequest, TokenRequest } from './schemas.ts';

/** Registration and access tokens. Strict per-IP buckets are shared with the HTML forms. */
export function authRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const origin = (c: Context) => ({ ip: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null });

  const registerRoute = createRoute({
    method: 'post',
    path: '/register',
    tags: ['auth'],
    operationId: 'register',
    summary: 'Create an account and its personal organization',
    middleware: [apiRateLimit(deps, 'register')] as const,
    request: { body: { required: true, ...json(RegisterRequest) } },
    responses: {
      201: {
        description:
          'Registered; a verification email is on its way. An account held by fraud screening is created but gets no token (403 `account_under_review`) until staff allow it; its email comes then.',
        ...json(z.object({ user: User, organization: Organization })),
      },
      ...errorResponses([400, 403, 413, 415, 422, 429, 503], {
        403: '`registration_refused`: fraud screening refused the sign-up. `registration_closed`: staff closed registration (platform settings); only an address with a pending invitation to an organization may still sign up.',
        503: '`screening_unavailable`: fraud screening cannot be reached and is set to fail closed; try again later. `maintenance`: maintenance mode is on (see `Retry-After`).',
      }),
    },
  });
  app.openapi(registerRoute, async (c) => {
    const { user, organization } = await register(deps, c.req.valid('json'), { origin: origin(c) });
    const orgs = await userOrganizations(deps.db, user.id);
    return c.json(
      { user: presentUser(user), organization: presentOrganization(orgs.find((o) => o.id === organization.id)!) },
      201,
    );
  });

  const createTokenRoute = createRoute({
    method: 'post',
    path: '/tokens',
    tags: ['auth'],
    operationId: 'createAccessToken',
    summary: 'Exchange credentials for a bearer access token',
    middleware: [apiRateLimit(deps, 'login')] as const,
    request: { body: { required: true, ...json(TokenRequest) } },
    responses: {
      201: { description: 'A new access token.', ...json(AccessToken) },
      ...errorResponses([400, 401, 403, 413, 415, 422, 429], {
        401: '`invalid_credentials` (same for unknown email and wrong password), `otp_required`, or `invalid_otp`.',
        403: '`account_suspended` or `account_under_review`.',
        429: '`rate_limited`: too many attempts from this address or for this account.',
      }),
    },
  });
  app.openapi(createTokenRoute, async (c) => {
    const input = c.req.valid('json');
    const from = origin(c);
    const user = await authenticatePassword(deps, from, input);
    if (user.twoFactorEnabled) await checkOtp(deps, user.id, input.otp, from);
    const issued = await issueAccessToken(deps, user, from);
    return c.json({ token: issued.token, expires_at: issued.expiresAt.toISOString() }, 201);
  });

  const revokeRoute = createRoute({
    method: 'delete',
    path: '/tokens/current',
    tags: ['auth'],
    operationId: 'revokeCurrentAccessToken',
    summary: 'Revoke the token this request is made with',
    ...secured,
    middleware: [requireToken, refuseApiKeys] as const,
    responses: {
      204: { description: 'Revoked; the token no longer works.' },
      ...errorResponses([401, 403, 429], {
        403: 'Made with an API key: revoke keys with DELETE /api-keys/{id} using an access token.',
      }),
    },
  });
  app.openapi(revokeRoute, async (c) => {
    await revokeAccessToken(deps.db, actor(c).tokenId, deps.clock.now(), origin(c));
    return c.body(null, 204);
  });

  return app;
}

/** No token for a half-signed-in caller: the second factor must come in the same request. */
async function checkOtp(
  deps: AppDeps,
  userId: string,
  otp: string | undefined,
  origin: { ip: string; userAgent: string | null },
) {
  if (!otp)
    throw new AppError(
      'otp_required',
      401,
      'This account uses two-factor authentication: send `otp` with a current code from your authenticator app.',
    );
  try {
    await verifySecondFactor(deps, userId, otp, { origin });
  } catch (err) {
    if (err instanceof ValidationError)
      throw new AppError('invalid_otp', 401, 'That code is not valid, or it was already used.');
    throw err;
  }
}
