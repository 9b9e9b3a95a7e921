import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Deps, RequestOrigin } from '../deps.ts';
import { linkFraudCheck, screeningRefusal, screenRegistration, type ScreeningResult } from '../fraud/screen.ts';
import { queueEmail } from '../../mail/queue.ts';
import { createOrganization } from '../organizations/create.ts';
import { hashPassword, passwordSchema } from './passwords.ts';
import { issueUserToken } from './user-tokens.ts';
import { assertRegistrationOpen } from '../settings/platform.ts';

export const emailSchema = z
  .string({ error: 'Enter your email address.' })
  .trim()
  .toLowerCase()
  .max(254, 'That email address is too long.')
  .pipe(z.email('Enter a valid email address.'));

export const nameSchema = z
  .string({ error: 'Enter your name.' })
  .trim()
  .min(1, 'Enter your name.')
  .max(100, 'Use at most 100 characters.');

export const registerInput = z.object({ name: nameSchema, email: emailSchema, password: passwordSchema });
export type RegisterInput = z.input<typeof registerInput>;

const EMAIL_TAKEN = 'An account with this email address already exists. Sign in or reset your password.';

/**
 * Creates, in one transaction, the user, their personal organization with its wallet and
 * roles, and the owner membership; queues the welcome email with a verification link.
 *
 * A sign-up from a request (`origin` given) is fraud-screened first (domain/fraud/screen.ts),
 * before anything is created: reject → refused, nothing written but the check row; review →
 * the user is created with status `review` (cannot sign in; the welcome email waits for an
 * admin's allow); approve → as usual. Internal callers (first admin, tests) pass no origin.
 * While registration is closed (platform settings), a sign-up from a request is refused
 * (`registration_closed`) unless its address has a pending invitation to an organization.
 */
export async function register(
  deps: Deps,
  raw: unknown,
  opts: { isAdmin?: boolean; verified?: boolean; origin?: RequestOrigin } = {},
) {
  const input = parseInput(registerInput, raw);
  let screening: ScreeningResult | null = null;
  if (opts.origin) {
    await assertRegistrationOpen(deps, input.email);
    // A sure refusal costs no screening credit (the transaction below still decides races).
    const taken = await deps.db.selectFrom('users').select('id').where('email', '=', input.email).executeTakeFirst();
    if (taken) throw new ValidationError({ email: EMAIL_TAKEN });
    screening = await screenRegistration(deps, { email: input.email, ip: opts.origin.ip });
    if (screening.decision === 'reject') throw screeningRefusal('registration', screening);
  }
  const held = screening?.decision === 'review';
  const passwordHash = await hashPassword(input.password, deps.config.BCRYPT_COST);
  const now = deps.clock.now();
  try {
    return await inTransaction(deps.db, async (trx) => {
      const taken = await trx.selectFrom('users').select('id').where('email', '=', input.email).executeTakeFirst();
      if (taken) throw new ValidationError({ email: EMAIL_TAKEN });
      const user = await trx
        .insertInto('users')
        .values({
          email: input.email,
          name: input.name,
          password_hash: passwordHash,
          is_admin: opts.isAdmin ?? false,
          email_verified_at: opts.verified ? now : null,
          status: held ? 'review' : 'active',
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const organization = await createOrganization(trx, {
        name: `${input.name}'s organization`.slice(0, 100),
        ownerId: user.id,
        personal: true,
        currency: deps.config.BILLING_CURRENCY,
      });
      await trx
        .updateTable('users')
        .set({ active_organization_id: organization.id })
        .where('id', '=', user.id)
        .execute();
      if (screening?.checkId) await linkFraudCheck(trx, screening.checkId, user.id, organization.id);
      if (!opts.verified && !held) {
        const token = await issueUserToken(trx, user.id, 'verify_email', user.email, now);
        await queueEmail(deps, trx, user.email, 'welcome', {
          name: user.name,
          verifyUrl: `${deps.config.publicUrl}/verify-email/${token}`,
        });
      }
      return { user: { ...user, active_organization_id: organization.id }, organization, screening };
    });
  } catch (err) {
    // Two registrations racing for one address: the unique index decides, same message.
    if ((err as { code?: string }).code === '23505') throw new ValidationError({ email: EMAIL_TAKEN });
    throw err;
  }
}
