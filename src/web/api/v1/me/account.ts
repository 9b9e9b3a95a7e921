import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { getUser } from '../../../../domain/accounts/me.ts';
import { changeEmail, changePassword, getProfile, updateProfile } from '../../../../domain/accounts/profile.ts';
import type { AppDeps } from '../../../context.ts';
import { actor, caller, refuseApiKeys, requireToken, secured } from '../bearer-auth.ts';
import { errorResponses, json } from '../schemas.ts';
import { presentUser, User } from './schemas.ts';

/**
 * The caller's own account, as on Settings → Profile and Settings → Password: name, phone and
 * time zone; the email address (the new one must be confirmed through the link emailed there);
 * the password. All through the functions those pages call (domain/accounts/profile.ts), with
 * the same rules, emails and activity. Only an access token may change them: an API key acts
 * for an organization, not as the person who owns it.
 */
const own = {
  ...secured,
  middleware: [requireToken, refuseApiKeys] as [MiddlewareHandler, MiddlewareHandler],
};
const keyRefused = { 403: 'Made with an API key: use an access token (POST /auth/tokens).' };

const ProfileUpdate = z
  .object({
    name: z.string().optional().openapi({ example: 'Frank Fisher' }),
    phone: z
      .string()
      .nullable()
      .optional()
      .openapi({ example: '+44 20 7946 0000', description: 'Digits, spaces and + ( ) - only; null or "" removes it.' }),
    timezone: z.string().optional().openapi({ example: 'Europe/London', description: 'An IANA time zone, or UTC.' }),
  })
  .openapi('ProfileUpdate');

const EmailChange = z
  .object({
    email: z.string().openapi({ format: 'email', example: 'frank@new.example' }),
    current_password: z.string().openapi({ description: 'Asked again before the change.' }),
  })
  .openapi('EmailChange');

const PasswordChange = z
  .object({
    current_password: z.string(),
    new_password: z.string().openapi({
      description: 'The same rules as the settings page: long enough, and not a commonly used password.',
    }),
  })
  .openapi('PasswordChange');

export function accountRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const userOf = async (id: string) => presentUser(await getUser(deps.db, id));

  const patchMe = createRoute({
    method: 'patch',
    path: '/me',
    tags: ['me'],
    operationId: 'updateMe',
    summary: 'Change the caller’s name, phone or time zone (fields left out stay as they are; access tokens only)',
    ...own,
    request: { body: { required: true, ...json(ProfileUpdate) } },
    responses: {
      200: { description: 'The saved profile.', ...json(User) },
      ...errorResponses([400, 401, 403, 413, 415, 422, 429], keyRefused),
    },
  });
  app.openapi(patchMe, async (c) => {
    const userId = actor(c).user.id;
    const input = c.req.valid('json');
    const current = await getProfile(deps, userId);
    await updateProfile(deps, userId, {
      name: input.name ?? current.name,
      phone: input.phone === undefined ? (current.phone ?? '') : (input.phone ?? ''),
      timezone: input.timezone ?? current.timezone,
    });
    return c.json(await userOf(userId), 200);
  });

  const emailRoute = createRoute({
    method: 'post',
    path: '/me/email',
    tags: ['me'],
    operationId: 'changeEmail',
    summary: 'Move the account to a new email address (current password; access tokens only)',
    description:
      'The address changes at once and is unverified until the link emailed to the new address is opened; the old address is told about the change.',
    ...own,
    request: { body: { required: true, ...json(EmailChange) } },
    responses: {
      200: { description: 'The account, with its new, not yet confirmed, address.', ...json(User) },
      ...errorResponses([400, 401, 403, 413, 415, 422, 429], {
        ...keyRefused,
        422: '`validation_failed`: a wrong `current_password`, an invalid address, the same address, or one another account uses.',
        429: '`rate_limited`: too many wrong passwords (5 in 15 minutes). Wait `Retry-After` seconds.',
      }),
    },
  });
  app.openapi(emailRoute, async (c) => {
    const userId = actor(c).user.id;
    await changeEmail(deps, userId, c.req.valid('json'), caller(c));
    return c.json(await userOf(userId), 200);
  });

  const passwordRoute = createRoute({
    method: 'post',
    path: '/me/password',
    tags: ['me'],
    operationId: 'changePassword',
    summary: 'Change the password (current password; access tokens only)',
    description:
      'As on Settings → Password: every browser session and every other access token is signed out, and every API key of the caller is revoked. The access token making the call keeps working. An email tells the account about the change.',
    ...own,
    request: { body: { required: true, ...json(PasswordChange) } },
    responses: {
      204: { description: 'Changed.' },
      ...errorResponses([400, 401, 403, 413, 415, 422, 429], {
        ...keyRefused,
        422: '`validation_failed`: a wrong `current_password`, or a `new_password` that does not follow the rules.',
        429: '`rate_limited`: too many wrong passwords (5 in 15 minutes). Wait `Retry-After` seconds.',
      }),
    },
  });
  app.openapi(passwordRoute, async (c) => {
    const who = actor(c);
    await changePassword(deps, who.user.id, null, c.req.valid('json'), caller(c), {
      currentAccessTokenId: who.tokenId,
    });
    return c.body(null, 204);
  });

  return app;
}
