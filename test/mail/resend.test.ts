import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createMailTransport } from '../../src/mail/delivery.ts';
import { createResendTransport } from '../../src/providers/mail/resend.ts';
import {
  startResendEmulator,
  type ResendEmulator,
  type ResendFailure,
} from '../../src/providers/mail/emulator/resend.ts';
import { MailError, type OutgoingMail } from '../../src/providers/mail/types.ts';

const API_KEY = 're_test_4f9c2d71b0a8e6s3cr3t';

const welcome = (over: Partial<OutgoingMail> = {}): OutgoingMail => ({
  from: 'SkyPanel <no-reply@skypanel.example>',
  to: 'ada@lovelace.example',
  subject: 'Welcome to SkyPanel: confirm your email',
  html: '<p>Hello Ada</p>',
  text: 'Hello Ada',
  idempotencyKey: '0b8a6f1e-3d2c-4b5a-9e8f-7a6b5c4d3e2f',
  ...over,
});

async function failureOf(p: Promise<unknown>): Promise<MailError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MailError);
  return err as MailError;
}

describe('Resend transport against the Resend emulator', () => {
  let emu: ResendEmulator;
  beforeEach(async () => {
    emu = await startResendEmulator();
  });
  afterEach(async () => {
    await emu.close();
  });
  const resend = (over: { apiKey?: string; timeoutMs?: number } = {}) =>
    createResendTransport({ apiKey: API_KEY, baseUrl: emu.url, timeoutMs: 2_000, ...over });

  it('delivers an email and the emulator stores exactly what was sent', async () => {
    const { providerMessageId } = await resend().send(welcome());

    expect(providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emu.messages).toHaveLength(1);
    expect(emu.messages[0]).toMatchObject({
      id: providerMessageId,
      from: 'SkyPanel <no-reply@skypanel.example>',
      to: ['ada@lovelace.example'],
      subject: 'Welcome to SkyPanel: confirm your email',
      html: '<p>Hello Ada</p>',
      text: 'Hello Ada',
      idempotencyKey: '0b8a6f1e-3d2c-4b5a-9e8f-7a6b5c4d3e2f',
    });
  });

  it('lets the sent email be read back by id, as Resend does', async () => {
    const { providerMessageId } = await resend().send(welcome());
    const res = await fetch(`${emu.url}/emails/${providerMessageId}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'email', id: providerMessageId, to: ['ada@lovelace.example'] });
  });

  it('sending the same email twice with one idempotency key returns the same id and delivers once', async () => {
    const first = await resend().send(welcome());
    const second = await resend().send(welcome());

    expect(second.providerMessageId).toBe(first.providerMessageId);
    expect(emu.messages).toHaveLength(1);
  });

  it('reusing an idempotency key for a different email is refused for good', async () => {
    await resend().send(welcome());
    const err = await failureOf(resend().send(welcome({ subject: 'Something else' })));

    expect(err.message).toContain('409 invalid_idempotent_request');
    expect(err.retryable).toBe(false);
    expect(emu.messages).toHaveLength(1);
  });

  it('a retry after a server error delivers the email exactly once', async () => {
    emu.inject('500');
    await failureOf(resend().send(welcome()));
    await resend().send(welcome());

    expect(emu.messages).toHaveLength(1);
  });

  const injected: Array<[string, ResendFailure, boolean, string]> = [
    ['a rate limit is retried later, after the seconds Resend asks for', '429', true, '429 rate_limit_exceeded'],
    ['a Resend server error is retried', '500', true, '500 internal_server_error'],
    ['a non-JSON answer from a gateway is retried', 'non_json', true, 'non-JSON'],
    ['a request that never gets an answer times out and is retried', 'timeout', true, 'timed out'],
    ['an unverified sender domain is not retried', '403_unverified_domain', false, '403 validation_error'],
    ['a validation error is not retried', '422', false, '422 validation_error'],
  ];
  for (const [name, failure, retryable, text] of injected) {
    it(name, async () => {
      emu.inject(failure);
      const err = await failureOf(resend({ timeoutMs: 300 }).send(welcome()));

      expect(err.retryable).toBe(retryable);
      expect(err.message).toContain(text);
      expect(err.retryAfterSeconds).toBe(failure === '429' ? 1 : undefined);
      expect(emu.messages).toHaveLength(0);
    });
  }

  it('an API key that is not a Resend key is refused for good', async () => {
    const err = await failureOf(resend({ apiKey: 'sk_live_not_a_resend_key' }).send(welcome()));

    expect(err.message).toContain('403 invalid_api_key');
    expect(err.retryable).toBe(false);
  });

  it('an invalid recipient address is refused for good and nothing is stored', async () => {
    const err = await failureOf(resend().send(welcome({ to: 'not-an-address' })));

    expect(err.message).toContain('422 validation_error');
    expect(err.retryable).toBe(false);
    expect(emu.messages).toHaveLength(0);
  });

  it('an unreachable Resend is a temporary failure', async () => {
    const gone = await startResendEmulator();
    const url = gone.url;
    await gone.close();
    const err = await failureOf(
      createResendTransport({ apiKey: API_KEY, baseUrl: url, timeoutMs: 1_000 }).send(welcome()),
    );

    expect(err.retryable).toBe(true);
  });

  it('the API key never appears in an error message, whatever went wrong', async () => {
    const messages: string[] = [];
    for (const failure of ['429', '500', 'non_json', 'timeout', '403_unverified_domain', '422'] as const) {
      emu.inject(failure);
      messages.push((await failureOf(resend({ timeoutMs: 300 }).send(welcome()))).message);
    }
    messages.push((await failureOf(resend({ apiKey: 'sk_live_not_a_resend_key' }).send(welcome()))).message);
    messages.push((await failureOf(resend().send(welcome({ to: 'not-an-address' })))).message);

    expect(messages).toHaveLength(8);
    for (const m of messages) {
      expect(m).not.toContain(API_KEY);
      expect(m).not.toContain('sk_live_not_a_resend_key');
    }
  });

  it('createMailTransport sends through Resend when MAIL_TRANSPORT is resend', async () => {
    const config = loadConfig({ MAIL_TRANSPORT: 'resend', RESEND_API_KEY: API_KEY, RESEND_BASE_URL: emu.url });
    const transport = createMailTransport(config);
    const { providerMessageId } = await transport.send(welcome());

    expect(transport.name).toBe('resend');
    // The emulator received this very email.
    expect(emu.messages).toHaveLength(1);
    expect(emu.messages[0]).toMatchObject({
      id: providerMessageId,
      to: ['ada@lovelace.example'],
      subject: 'Welcome to SkyPanel: confirm your email',
      html: '<p>Hello Ada</p>',
      text: 'Hello Ada',
    });
  });
});

describe('Resend emulator protocol', () => {
  let emu: ResendEmulator;
  beforeEach(async () => {
    emu = await startResendEmulator();
  });
  afterEach(async () => {
    await emu.close();
  });
  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${API_KEY}` }) =>
    fetch(`${emu.url}/emails`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('refuses a request without an Authorization header with missing_api_key', async () => {
    const res = await post({ from: 'a@b.example', to: 'c@d.example', subject: 'x', text: 'y' }, {});

    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ statusCode: 401, name: 'missing_api_key' });
  });

  it('refuses more than fifty recipients', async () => {
    const to = Array.from({ length: 51 }, (_, i) => `user${i}@example.com`);
    const res = await post({ from: 'a@b.example', to, subject: 'x', text: 'y' });

    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ statusCode: 422, name: 'validation_error' });
  });

  it('refuses an email with neither html nor text', async () => {
    const res = await post({ from: 'a@b.example', to: 'c@d.example', subject: 'x' });

    expect(res.status).toBe(422);
    expect(emu.messages).toHaveLength(0);
  });
});
