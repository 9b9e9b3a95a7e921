import { randomUUID } from 'node:crypto';
import type { DbOrTx } from '../../db/index.ts';
import type { FraudStatus } from '../../db/types.ts';
import { AppError } from '../../lib/errors.ts';
import { toDecimal } from '../../lib/money.ts';
import {
  FraudLabsProError,
  type FraudLabsProResult,
  type ScreenOrderInput,
} from '../../providers/fraudlabspro/index.ts';
import { decide } from './policy.ts';
import type { Deps } from '../deps.ts';
import { getFraudSettings, type FraudSettings } from '../settings/fraud.ts';

/**
 * Fraud screening of sign-ups and top-ups, before anything is created.
 *
 * One call, one verdict:
 *   screening off            → approve, checkId null, and NO fraud_checks row (nothing was asked)
 *   provider answered        → decide() with the settings; a row with status approve | review |
 *                              reject, the score, the reasons, FLP's transaction id and details
 *   provider unreachable     → (network, timeout, 5xx, unreadable answer, bad key, no credit,
 *                              or no provider configured while screening is on)
 *       fail_open  (default) → approve, with a `skipped` row saying why
 *       fail_closed          → reject with `unavailable: true`, and a `reject` row saying why
 *
 * fraud_checks.status transitions (closed set in the billing migration):
 *   approve | reject | skipped  final when written
 *   review → allowed | blocked  an admin's decision (review.ts), once
 */

/**
 * The screening provider the domain asks (FraudLabs Pro or its emulator, wired by
 * src/services.ts). `deps.fraud` is undefined when there is none: then screening is off by
 * default, and if staff turn it on anyway every check is "provider unreachable" (their
 * fail-open/fail-closed choice applies).
 */
export interface FraudScreener {
  screenOrder(input: ScreenOrderInput): Promise<FraudLabsProResult>;
  /** For the admin settings page, e.g. "FraudLabs Pro emulator (demo)". */
  readonly label?: string;
}

export type ScreeningDecision = 'approve' | 'review' | 'reject';

export interface ScreeningResult {
  decision: ScreeningDecision;
  /** The fraud_checks row; null only when screening is off. */
  checkId: string | null;
  /** Why the decision is not a plain approve (for staff; never show these to the customer). */
  reasons: string[];
  /** The provider could not be asked; `decision` is then the fail-open/fail-closed outcome. */
  unavailable: boolean;
}

export interface RegistrationScreening {
  email: string;
  ip: string;
}

export interface TopUpScreening {
  userId: string;
  organizationId: string;
  email: string;
  ip: string;
  /** Micro-units. */
  amount: bigint;
  currency: string;
}

/** Screens a sign-up (IP and email). No user exists yet: link the row later with `linkFraudCheck`. */
export function screenRegistration(deps: Deps, input: RegistrationScreening): Promise<ScreeningResult> {
  return screen(deps, {
    subject: 'registration',
    email: input.email,
    ip: input.ip,
    order: { department: 'registration' },
  });
}

/** Screens a wallet top-up (IP, email, amount) before any PayPal order exists. */
export function screenTopUp(deps: Deps, input: TopUpScreening): Promise<ScreeningResult> {
  return screen(deps, {
    subject: 'top_up',
    email: input.email,
    ip: input.ip,
    userId: input.userId,
    organizationId: input.organizationId,
    amount: input.amount,
    currency: input.currency,
    order: {
      department: 'wallet_topup',
      amount: toDecimal(input.amount, 2),
      currency: input.currency,
      paymentMode: 'paypal',
      paymentGateway: 'paypal',
    },
  });
}

/**
 * The customer-facing refusal for a `reject` (or a fail-closed outage): 403 with a clear,
 * reason-free message, or 503 "temporarily unavailable". Throw it; web layers render it.
 */
export function screeningRefusal(
  subject: 'registration' | 'top_up',
  result: Pick<ScreeningResult, 'unavailable'>,
): AppError {
  if (result.unavailable) {
    return subject === 'registration'
      ? new AppError(
          'screening_unavailable',
          503,
          'We cannot open new accounts right now. Please try again in a few minutes.',
        )
      : new AppError(
          'screening_unavailable',
          503,
          'Adding funds is temporarily unavailable. Please try again in a few minutes.',
        );
  }
  return subject === 'registration'
    ? new AppError(
        'registration_refused',
        403,
        'We could not open an account with these details. If you think this is a mistake, please contact support.',
      )
    : new AppError(
        'payment_refused',
        403,
        'We could not accept this payment. If you think this is a mistake, please contact support.',
      );
}

/** Records which user and organization a registration check turned into (same transaction as the user). */
export async function linkFraudCheck(
  db: DbOrTx,
  checkId: string,
  userId: string,
  organizationId: string,
): Promise<void> {
  await db
    .updateTable('fraud_checks')
    .set({ user_id: userId, organization_id: organizationId })
    .where('id', '=', checkId)
    .execute();
}

interface Screening {
  subject: 'registration' | 'top_up';
  email: string;
  ip: string;
  userId?: string;
  organizationId?: string;
  amount?: bigint;
  currency?: string;
  order: Pick<ScreenOrderInput, 'department' | 'amount' | 'currency' | 'paymentMode' | 'paymentGateway'>;
}

async function screen(deps: Deps, s: Screening): Promise<ScreeningResult> {
  const settings = await getFraudSettings(deps);
  if (!settings.enabled) return { decision: 'approve', checkId: null, reasons: [], unavailable: false };

  // Our id is also FLP's `user_order_id` (at most 15 characters): R/T + 14 hex digits of it.
  const id = randomUUID();
  const orderId = `${s.subject === 'registration' ? 'R' : 'T'}${id.replace(/-/g, '').slice(0, 14)}`;
  let result: FraudLabsProResult;
  try {
    if (!deps.fraud)
      throw new FraudLabsProError(
        'No fraud screening provider is configured (FRAUDLABSPRO_API_KEY)',
        false,
        'not_configured',
      );
    result = await deps.fraud.screenOrder({ ip: s.ip, email: s.email, orderId, ...s.order });
  } catch (err) {
    return unavailable(deps, settings, id, s, err);
  }

  const verdict = decide(result, settings);
  await insertCheck(deps.db, id, s, {
    status: verdict.decision,
    score: result.score,
    reasons: verdict.reasons,
    provider_transaction_id: result.transactionId,
    details: {
      provider: 'fraudlabspro',
      order_id: orderId,
      provider_status: result.decision,
      rules: result.rules,
      flags: result.flags,
      remaining_credits: result.remainingCredits,
      settings: policyOf(settings),
      response: result.raw,
    },
  });
  return { decision: verdict.decision, checkId: id, reasons: verdict.reasons, unavailable: false };
}

async function unavailable(
  deps: Deps,
  settings: FraudSettings,
  id: string,
  s: Screening,
  err: unknown,
): Promise<ScreeningResult> {
  const flp = err instanceof FraudLabsProError ? err : null;
  const message = flp?.message ?? (err instanceof Error ? err.message : String(err));
  const code = flp?.code ?? 'error';
  // A bad key or exhausted credit needs an operator; a blip does not. Neither shows the key.
  const level = flp?.isConfigurationError || code === 'not_configured' || !flp ? 'error' : 'warn';
  deps.log[level](
    { subject: s.subject, code, err: message, mode: settings.whenUnavailable },
    'fraud screening unavailable',
  );

  const open = settings.whenUnavailable === 'fail_open';
  const reason = `Screening unavailable (${code}); ${open ? 'let through (fail-open)' : 'refused (fail-closed)'}`;
  await insertCheck(deps.db, id, s, {
    status: open ? 'skipped' : 'reject',
    score: null,
    reasons: [reason],
    provider_transaction_id: null,
    details: {
      provider: 'fraudlabspro',
      unavailable: true,
      error: { code, message, retryable: flp?.retryable ?? null },
      mode: settings.whenUnavailable,
    },
  });
  return { decision: open ? 'approve' : 'reject', checkId: id, reasons: [reason], unavailable: true };
}

async function insertCheck(
  db: DbOrTx,
  id: string,
  s: Screening,
  outcome: {
    status: FraudStatus;
    score: number | null;
    reasons: string[];
    provider_transaction_id: string | null;
    details: Record<string, unknown>;
  },
) {
  await db
    .insertInto('fraud_checks')
    .values({
      id,
      subject: s.subject,
      user_id: s.userId ?? null,
      organization_id: s.organizationId ?? null,
      email: s.email,
      ip: s.ip,
      amount: s.amount ?? null,
      currency: s.currency ?? null,
      ...outcome,
      details: JSON.stringify(outcome.details),
    })
    .execute();
}

const policyOf = (s: FraudSettings) => ({
  score_threshold: s.scoreThreshold,
  block_proxy_vpn_tor: s.blockProxyVpnTor,
  block_disposable_email: s.blockDisposableEmail,
});
