import { MailError, type MailTransport } from './types.ts';
import { parseJsonObject, parseRetryAfter, describeNetworkError } from '../../lib/http.ts';

export interface ResendOptions {
  apiKey: string;
  /** `https://api.resend.com` in production; the emulator's URL in tests and demo mode. */
  baseUrl: string;
  /** Whole-request budget; a hung provider must not hold a job worker forever. */
  timeoutMs?: number;
}

/** Error names Resend answers with (`{statusCode, name, message}`) that a retry can fix. */
const RETRYABLE_NAMES = new Set([
  'concurrent_idempotent_requests',
  'rate_limit_exceeded',
  'application_error',
  'internal_server_error',
]);

/**
 * Resend over plain `fetch`. The SDK hides the status code and retry-after header we need to
 * decide between "retry later" and "give up", so we speak the HTTP API directly. Every send
 * carries `Idempotency-Key`, which makes a retry after an ambiguous failure (timeout, garbled
 * 200) safe: Resend answers the original id instead of sending again.
 */
export function createResendTransport(opts: ResendOptions): MailTransport {
  const endpoint = `${opts.baseUrl.replace(/\/+$/, '')}/emails`;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  // The key must never reach a log line or the emails.last_error column, even if a proxy echoes it.
  const scrub = (s: string) => (opts.apiKey ? s.split(opts.apiKey).join('[redacted]') : s);

  return {
    name: 'resend',
    async send(mail) {
      const body: Record<string, unknown> = { from: mail.from, to: [mail.to], subject: mail.subject };
      if (mail.html) body.html = mail.html;
      if (mail.text) body.text = mail.text;

      let res: Response;
      let raw: string;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${opts.apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': mail.idempotencyKey,
            'user-agent': 'skypanel',
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        raw = await res.text();
      } catch (err) {
        throw new MailError(scrub(`Resend request failed: ${describeNetworkError(err, timeoutMs)}`), true);
      }

      const json = parseJsonObject(raw);
      if (res.ok) {
        const id = json && typeof json.id === 'string' ? json.id : null;
        // A 2xx we cannot read may still have sent the mail; the idempotency key makes retrying safe.
        if (!id) throw new MailError(`Resend answered ${res.status} without an email id`, true);
        return { providerMessageId: id };
      }

      const name = json && typeof json.name === 'string' ? json.name : null;
      const message = json && typeof json.message === 'string' ? json.message : 'non-JSON error body';
      const retryable =
        res.status === 408 || res.status === 429 || res.status >= 500 || !json || RETRYABLE_NAMES.has(name ?? '');
      const retryAfter = res.status === 429 ? parseRetryAfter(res.headers.get('retry-after')) : undefined;
      throw new MailError(scrub(`Resend ${res.status} ${name ?? 'error'}: ${message}`), retryable, retryAfter);
    },
  };
}
