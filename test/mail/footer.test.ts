import { describe, expect, it } from 'vitest';
import { EMAIL_DEFINITIONS } from '../../src/mail/defaults.ts';
import { renderEmail } from '../../src/mail/templates.ts';

// The fixed footer says why the reader gets the email: "your account" only to account holders.
describe('email footer', () => {
  it('tells an account holder it is about their account', () => {
    const mail = renderEmail('welcome', 'Acme <Cloud>', EMAIL_DEFINITIONS.welcome.sample);
    expect(mail.html).toContain('because of your Acme &lt;Cloud&gt; account.');
  });

  it('does not speak of an account to someone who wrote through the contact page or was invited', () => {
    const reply = renderEmail('contact_reply', 'Acme', EMAIL_DEFINITIONS.contact_reply.sample);
    expect(reply.html).toContain('because you wrote to Acme through its contact page.');
    expect(reply.html).not.toContain('your Acme account');
    const invite = renderEmail('invitation', 'Acme', EMAIL_DEFINITIONS.invitation.sample);
    expect(invite.html).toContain('invited this address to an organization on Acme.');
    expect(invite.html).not.toContain('your Acme account');
  });
});
