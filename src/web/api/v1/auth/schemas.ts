import { z } from '@hono/zod-openapi';
import { loginInput } from '../../../../domain/accounts/login.ts';
import { passwordSchema } from '../../../../domain/accounts/passwords.ts';
import { emailSchema, registerInput } from '../../../../domain/accounts/register.ts';
import { Timestamp } from '../schemas.ts';

// The request schemas are the domain's own with documentation attached; validation is unchanged.
// Domain schemas may be built before zod-openapi patches zod, so they get zod's own `.meta()`.
export const RegisterRequest = registerInput
  .extend({
    email: emailSchema.meta({ format: 'email', example: 'ada@example.com' }),
    password: passwordSchema.meta({ description: '8 to 72 bytes, not one of the most common passwords.' }),
  })
  .openapi('RegisterRequest');
export const TokenRequest = loginInput
  .extend({
    otp: z.string().trim().max(64).optional().openapi({
      description:
        'Required when the account has two-factor authentication: a current TOTP code or an unused recovery code.',
      example: '123456',
    }),
  })
  .openapi('TokenRequest');
export const AccessToken = z
  .object({
    token: z
      .string()
      .openapi({ example: 'spt_…', description: 'Shown once. Send as `Authorization: Bearer <token>`.' }),
    expires_at: Timestamp,
  })
  .openapi('AccessToken');
