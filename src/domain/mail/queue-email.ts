// Moved to src/mail/queue.ts; this re-export goes once the last importers (accounts/profile.ts,
// accounts/two-factor.ts, being changed as this lands) import it from there.
export { queueEmail } from '../../mail/queue.ts';
