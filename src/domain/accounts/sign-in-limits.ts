import { createHash } from 'node:crypto';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { RateLimitedError } from '../../lib/errors.ts';
import type { Deps } from '../deps.ts';
import { claimAttempt, clearAttempts, clearAttemptsUnder, countAttempt, forgetAttempt } from '../security/attempts.ts';

/**
 * How many passwords may be tried at sign-in (pages and API alike), each limit over any
 * LOGIN_LOCKOUT_MINUTES (a sliding window, security/attempts.ts):
 *
 * - one account from one address (client IP): LOGIN_LOCKOUT_ATTEMPTS, then that address waits
 *   until its oldest try is LOGIN_LOCKOUT_MINUTES old. This is the lock: it keeps a guesser
 *   out without keeping the owner out, who signs in from somewhere else.
 * - one address, all accounts: LOGIN_IP_LOCKOUT_ATTEMPTS (one guesser trying many accounts).
 * - one account, all addresses: after ACCOUNT_PACE_AFTER tries it is paced, never locked.
 *   A first try from an address is always checked; addresses that already tried share one
 *   check every ACCOUNT_PACE_SECONDS. Spraying from many addresses gets each of them one
 *   quick guess instead of five, and cannot keep the owner (the first admin, say) out:
 *   a fresh address is checked at once, and an address is fresh again once its own tries
 *   are LOGIN_LOCKOUT_MINUTES old.
 *
 * Accounts are keyed by the hash of the typed address, so an unknown address behaves exactly
 * like a real one. Every try is counted before bcrypt runs; a right password takes it back.
 */
export const ACCOUNT_PACE_AFTER = 20;
export const ACCOUNT_PACE_SECONDS = 10;

const accountKey = (email: string) => `signin:account:${createHash('sha256').update(email).digest('hex')}`;

export interface SignInClaim {
  account: string;
  pair: string;
  ip: string;
  at: Date;
}

/**
 * Counts a sign-in try against every limit in one transaction, before the password is
 * checked, or throws RateLimitedError. A refusal by one limit rolls the others back (a
 * refused try checks nothing, so it counts nothing); keys are taken in the same order by
 * every request, so racing requests cannot deadlock.
 */
export async function claimSignIn(
  deps: Pick<Deps, 'db' | 'config'>,
  email: string,
  ip: string,
  now: Date,
): Promise<SignInClaim> {
  const account = accountKey(email);
  const claim: SignInClaim = { account, pair: `${account}:ip:${ip}`, ip: `signin:ip:${ip}`, at: now };
  const windowMs = deps.config.LOGIN_LOCKOUT_MINUTES * 60_000;
  return inTransaction(deps.db, async (trx) => {
    const byIp = await claimAttempt(trx, claim.ip, deps.config.LOGIN_IP_LOCKOUT_ATTEMPTS, windowMs, now);
    if (!byIp.allowed) throw lockedOut(byIp.retryAfterSeconds);
    const byPair = await claimAttempt(trx, claim.pair, deps.config.LOGIN_LOCKOUT_ATTEMPTS, windowMs, now);
    if (!byPair.allowed) throw lockedOut(byPair.retryAfterSeconds);
    const onAccount = await countAttempt(trx, account, ACCOUNT_PACE_AFTER + 1, windowMs, now);
    if (onAccount > ACCOUNT_PACE_AFTER && byPair.count > 1) {
      const paced = await claimAttempt(trx, `${account}:paced`, 1, ACCOUNT_PACE_SECONDS * 1000, now);
      if (!paced.allowed) throw lockedOut(paced.retryAfterSeconds, ' for this account from many places');
    }
    return claim;
  });
}

/** The password was right: this address starts afresh on the account, and the try counts nowhere. */
export async function signInSucceeded(db: DbOrTx, claim: SignInClaim): Promise<void> {
  await Promise.all([
    clearAttempts(db, claim.pair),
    forgetAttempt(db, claim.ip, claim.at),
    forgetAttempt(db, claim.account, claim.at),
  ]);
}

/** Staff lift every sign-in limit on an account (the address's own limit stays). */
export async function clearSignInLimits(db: DbOrTx, email: string): Promise<void> {
  await clearAttemptsUnder(db, accountKey(email.toLowerCase()));
}

function lockedOut(seconds: number, where = '') {
  const wait = seconds < 60 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
  return new RateLimitedError(seconds, `Too many failed sign-in attempts${where}. Try again in ${wait}.`);
}
