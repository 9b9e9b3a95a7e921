import { describe, expect, it } from 'vitest';
import { renderEmail } from '../../src/mail/templates.ts';

describe('email templates', () => {
  it('escapes names in the HTML part and keeps them as typed in the text part', () => {
    const mail = renderEmail('password_reset', 'SkyPanel', {
      name: `O'Brien <b>`,
      resetUrl: 'http://localhost:3000/reset-password/abc',
      expiresMinutes: 60,
    });
    expect(mail.subject).toBe('Reset your SkyPanel password');
    expect(mail.html).toContain('O&#39;Brien &lt;b&gt;');
    expect(mail.html).not.toContain('<b>');
    expect(mail.text).toContain(`Hello O'Brien <b>,`);
    expect(mail.text).toContain('http://localhost:3000/reset-password/abc');
  });

  it('keeps the line breaks of the text part after a printed value', () => {
    const signIn = renderEmail('new_sign_in', 'SkyPanel', {
      name: 'Ann',
      ip: '192.0.2.7',
      userAgent: 'Firefox',
      when: 'now',
    });
    expect(signIn.text).toContain('When: now\nIP address: 192.0.2.7\nDevice: Firefox\n');
    const statement = renderEmail('statement_ready', 'SkyPanel', {
      name: 'Ann',
      organization: 'Acme',
      month: 'November 2026',
      number: 'INV-2026-000002',
      opening: '$1.00',
      credits: '$2.00',
      charges: '$3.00',
      refunds: '$0.00',
      closing: '$0.00',
      statementUrl: 'http://localhost:3000/invoices/1',
      pdfUrl: 'http://localhost:3000/invoices/1/pdf',
    });
    expect(statement.text).toContain(
      'Opening balance: $1.00\nTop-ups, credits and adjustments: $2.00\nCharges: $3.00\n',
    );
    expect(statement.text).not.toMatch(/\n\n\n/);
    const invitation = renderEmail('invitation', 'SkyPanel', {
      organization: 'Acme',
      inviter: 'Bob',
      role: 'member',
      acceptUrl: 'http://localhost:3000/invitations/t',
      expiresAt: 'tomorrow',
    });
    expect(invitation.text.startsWith('Hello,\n\nBob invited you')).toBe(true);
  });
});
