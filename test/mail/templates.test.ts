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
});
