/**
 * The events an organization's webhook endpoints may subscribe to (issue 18 item 4): dotted
 * names, documented in the README's webhooks section (keep the two in step). An endpoint lists
 * exact names or a `prefix.*` wildcard (`hosting.*`, `vps.*`); `ping` is sent only by hand,
 * to one endpoint, whatever it subscribes to.
 */
export const WEBHOOK_EVENTS: readonly { type: string; description: string }[] = [
  { type: 'vps.created', description: 'A server was ordered: it is being set up at the provider.' },
  { type: 'vps.running', description: 'A server is running (its setup finished, or it came back up).' },
  { type: 'vps.deleted', description: 'A server was deleted (by a member, staff or for non-payment).' },
  { type: 'vps.suspended', description: 'A server was suspended because the balance stayed below zero.' },
  { type: 'wallet.credited', description: 'Funds were added to the wallet: a PayPal top-up was captured.' },
  { type: 'wallet.low', description: 'The wallet balance fell below the low-balance threshold (at most daily).' },
  { type: 'wallet.arrears', description: 'The wallet balance went below zero: servers will be suspended.' },
  { type: 'invoice.issued', description: 'A receipt (for a top-up) or a monthly statement was issued.' },
  { type: 'ticket.opened', description: 'A support ticket was opened.' },
  { type: 'ticket.replied', description: 'Someone replied on a support ticket (support or a member).' },
  {
    type: 'hosting.service.active',
    description: 'A web hosting service went live: bought and ready, or enabled again after a suspension.',
  },
  { type: 'hosting.service.failed', description: 'A web hosting purchase failed and was undone (refunded).' },
  { type: 'hosting.service.suspended', description: 'A web hosting service was suspended (non-payment or staff).' },
  { type: 'hosting.service.cancelled', description: 'A web hosting service ended and its website was removed.' },
];

/** The test ping (sendPing): not subscribable. */
export const PING = 'ping';

export type WebhookEventType = string;

const TYPES = new Set(WEBHOOK_EVENTS.map((e) => e.type));
const PREFIXES = new Set(WEBHOOK_EVENTS.flatMap((e) => prefixesOf(e.type)));

/** `hosting.service.active` → `hosting.*`, `hosting.service.*`. */
function prefixesOf(type: string): string[] {
  const parts = type.split('.');
  return parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join('.')}.*`);
}

/** Whether `pattern` (an exact name or a wildcard) is one an endpoint may subscribe to. */
export function isSubscribable(pattern: string): boolean {
  return TYPES.has(pattern) || PREFIXES.has(pattern);
}

/** The subscription patterns that match `type`: itself and each of its wildcards (the emission's `&&` test). */
export function patternsFor(type: string): string[] {
  return [type, ...prefixesOf(type)];
}

/** Whether an endpoint subscribed to `events` receives `type`. */
export function subscribes(events: readonly string[], type: string): boolean {
  return patternsFor(type).some((p) => events.includes(p));
}
