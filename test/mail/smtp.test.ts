import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createMailTransport } from '../../src/mail/delivery.ts';
import { createSmtpTransport } from '../../src/providers/mail/smtp.ts';
import { startSmtpEmulator, type SmtpEmulator, type SmtpFailure } from '../../src/providers/mail/emulator/smtp.ts';
import { MailError, type MailTransport, type OutgoingMail } from '../../src/providers/mail/types.ts';

const USER = { user: 'skypanel', pass: 'p@ss w0rd/s3cr3t' };

const resetMail = (over: Partial<OutgoingMail> = {}): OutgoingMail => ({
  from: 'SkyPanel <no-reply@skypanel.example>',
  to: 'grace@hopper.example',
  subject: 'Reset your SkyPanel password',
  html: '<p>Reset it <a href="https://panel.example/reset">here</a></p>',
  text: 'Reset it here: https://panel.example/reset',
  idempotencyKey: '5e1d3c2b-aa44-4f0e-8c9d-1b2a3c4d5e6f',
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

describe('SMTP transport against the SMTP emulator', () => {
  let emu: SmtpEmulator;
  const opened: MailTransport[] = [];
  const smtp = (url = emu.url) => {
    const t = createSmtpTransport({ url, from: 'SkyPanel <no-reply@skypanel.example>', timeoutMs: 2_000 });
    opened.push(t);
    return t;
  };
  beforeEach(async () => {
    emu = await startSmtpEmulator({ users: USER });
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((t) => t.close?.()));
    await emu.close();
  });

  it('delivers an email with its sender, subject, both bodies and the SkyPanel message id header', async () => {
    const { providerMessageId } = await smtp().send(resetMail());

    expect(emu.messages).toHaveLength(1);
    const m = emu.messages[0]!;
    expect(m).toMatchObject({
      from: 'no-reply@skypanel.example',
      to: ['grace@hopper.example'],
      fromHeader: 'SkyPanel <no-reply@skypanel.example>',
      subject: 'Reset your SkyPanel password',
      user: 'skypanel',
    });
    expect(m.text?.trim()).toBe('Reset it here: https://panel.example/reset');
    expect(m.html).toContain('href="https://panel.example/reset"');
    expect(m.headers['x-skypanel-message-id']).toBe('5e1d3c2b-aa44-4f0e-8c9d-1b2a3c4d5e6f');
    expect(m.messageId).toBe('<5e1d3c2b-aa44-4f0e-8c9d-1b2a3c4d5e6f@skypanel.example>');
    expect(providerMessageId).toBe(m.messageId);
  });

  it('a resent email keeps its Message-ID, so the receiver can recognise the duplicate', async () => {
    await smtp().send(resetMail());
    await smtp().send(resetMail());

    expect(emu.messages.map((m) => m.messageId)).toEqual([
      '<5e1d3c2b-aa44-4f0e-8c9d-1b2a3c4d5e6f@skypanel.example>',
      '<5e1d3c2b-aa44-4f0e-8c9d-1b2a3c4d5e6f@skypanel.example>',
    ]);
  });

  const injected: Array<[string, SmtpFailure, boolean, string]> = [
    ['a rejected recipient (550) is not retried', '550', false, '550'],
    ['a temporary failure (451) is retried', '451', true, '451'],
    ['a refused login (535) is not retried', '535', false, '535'],
    ['a message refused after DATA (554) is not retried', '554', false, '554'],
    ['a dropped connection is retried', 'drop', true, 'ECONNECTION'],
  ];
  for (const [name, failure, retryable, text] of injected) {
    it(name, async () => {
      emu.inject(failure);
      const err = await failureOf(smtp().send(resetMail()));

      expect(err.retryable).toBe(retryable);
      expect(err.message).toContain(text);
      expect(emu.messages).toHaveLength(0);
    });
  }

  it('an injected failure is used once: the next send goes through', async () => {
    emu.inject('451');
    await failureOf(smtp().send(resetMail()));
    await smtp().send(resetMail());

    expect(emu.messages).toHaveLength(1);
  });

  it('a wrong password is refused for good and the password never appears in the error', async () => {
    const url = emu.url.replace(encodeURIComponent(USER.pass), encodeURIComponent('wrong-Secret-99'));
    const err = await failureOf(smtp(url).send(resetMail()));

    expect(err.retryable).toBe(false);
    expect(err.message).toContain('535');
    expect(err.message).not.toContain('wrong-Secret-99');
  });

  it('a client without credentials is refused by a server that requires login', async () => {
    const err = await failureOf(smtp(`smtp://127.0.0.1:${emu.port}`).send(resetMail()));

    expect(err.retryable).toBe(false);
    expect(emu.messages).toHaveLength(0);
  });

  it('an unreachable SMTP server is a temporary failure', async () => {
    const gone = await startSmtpEmulator();
    const url = gone.url;
    await gone.close();
    const err = await failureOf(smtp(url).send(resetMail()));

    expect(err.retryable).toBe(true);
  });

  it('the SMTP password never appears in an error message, whatever went wrong', async () => {
    const messages: string[] = [];
    for (const failure of ['550', '451', '535', '554', 'drop'] as const) {
      emu.inject(failure);
      messages.push((await failureOf(smtp().send(resetMail()))).message);
    }

    for (const m of messages) {
      expect(m).not.toContain(USER.pass);
      expect(m).not.toContain(encodeURIComponent(USER.pass));
    }
  });

  it('createMailTransport sends over SMTP when MAIL_TRANSPORT is smtp', async () => {
    const transport = createMailTransport(loadConfig({ MAIL_TRANSPORT: 'smtp', SMTP_URL: emu.url }));
    opened.push(transport);
    await transport.send(resetMail());

    expect(transport.name).toBe('smtp');
    // The emulator received this very email, logged in with the credentials in SMTP_URL.
    expect(emu.messages).toHaveLength(1);
    const m = emu.messages[0]!;
    expect(m).toMatchObject({
      to: ['grace@hopper.example'],
      subject: 'Reset your SkyPanel password',
      fromHeader: 'SkyPanel <no-reply@skypanel.example>',
      user: 'skypanel',
    });
    expect(m.text?.trim()).toBe('Reset it here: https://panel.example/reset');
    expect(m.html).toContain('<a href="https://panel.example/reset">here</a>');
    expect(m.headers['x-skypanel-message-id']).toBe('5e1d3c2b-aa44-4f0e-8c9d-1b2a3c4d5e6f');
  });
});

describe('SMTP emulator without users', () => {
  it('accepts mail without login', async () => {
    const emu = await startSmtpEmulator();
    const transport = createSmtpTransport({ url: emu.url, timeoutMs: 2_000 });
    try {
      await transport.send(resetMail());
      expect(emu.messages).toHaveLength(1);
      expect(emu.messages[0]).toMatchObject({
        to: ['grace@hopper.example'],
        subject: 'Reset your SkyPanel password',
        user: null,
      });
      expect(emu.messages[0]!.text?.trim()).toBe('Reset it here: https://panel.example/reset');
    } finally {
      await transport.close?.();
      await emu.close();
    }
  });
});
