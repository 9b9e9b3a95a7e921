import { createHmac } from 'node:crypto';
import { randomToken } from '../../lib/crypto.ts';

/**
 * How a delivery is signed (README "Webhooks"; a receiver verifies the same way):
 * `SkyPanel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The
 * timestamp is signed with the body so a captured request cannot be replayed later with
 * another time; receivers reject old timestamps (five minutes is the usual tolerance).
 */

/** A new endpoint secret: `whsec_` + 32 random bytes, base64url. Shown once; stored sealed. */
export function newSecret(): string {
  return `whsec_${randomToken(32)}`;
}

/** The last characters of a secret, so a person can tell which one a receiver has. */
export function secretHint(secret: string): string {
  return `whsec_…${secret.slice(-4)}`;
}

export function signature(secret: string, unixSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** The headers of one attempt at `at`. */
export function deliveryHeaders(
  secret: string,
  event: { id: string; type: string },
  body: string,
  at: Date,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'SkyPanel-Webhooks/1',
    'skypanel-event-id': event.id,
    'skypanel-event-type': event.type,
    'skypanel-signature': signature(secret, Math.floor(at.getTime() / 1000), body),
  };
}
