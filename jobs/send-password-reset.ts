import type { Deps } from '../src/domain/deps.ts';
import { sendPasswordReset } from '../src/domain/accounts/recovery.ts';
import { queues } from '../src/queue/index.ts';

/** Emails the reset link a forgot-password form asked for, if the address is an account's; safe to run twice. */
export function sendPasswordResetJob(deps: Deps, payload: unknown) {
  return sendPasswordReset(deps, queues['accounts.send-password-reset'].parse(payload));
}
