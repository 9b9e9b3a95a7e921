import { deliverEmail, type DeliveryDeps } from '../src/mail/delivery.ts';
import { queues } from '../src/queue/index.ts';

/** Delivers one queued email (src/mail/delivery.ts); safe to run twice. */
export function sendEmailJob(deps: DeliveryDeps, payload: unknown) {
  return deliverEmail(deps, queues['email.send'].parse(payload).emailId);
}
