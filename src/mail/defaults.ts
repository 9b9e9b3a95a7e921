import type { PlaceholderSpecs, TemplateSource } from './placeholders.ts';
import type { EmailTemplateName, EmailTemplates } from './templates.ts';

/**
 * The default of every email: what it is for, its placeholders (each described for the admin
 * screen), how the sending code's data becomes their values (wording that depends on the data is
 * computed here), sample data for the preview and the test send, and the default subject, HTML
 * body and text body. `{{brand}}` (the platform's name) is in every email. The HTML body goes
 * inside a fixed frame (src/mail/layout.ts: the brand as header, a footer).
 */
export interface EmailDefinition<K extends EmailTemplateName> extends TemplateSource {
  purpose: string;
  placeholders: PlaceholderSpecs;
  values: (data: EmailTemplates[K]) => Record<string, string>;
  sample: EmailTemplates[K];
}

const p = (description: string) => ({ description });
const link = (description: string) => ({ description, link: true });
const name = p("The recipient's name.");
const organization = p("The organization's name.");

/** A button to `{{placeholder}}`, with the link written out below for mail readers that show no buttons. */
const button = (placeholder: string, label: string) =>
  `<p style="margin:24px 0"><a href="{{${placeholder}}}" style="display:inline-block;padding:10px 18px;background:#0369a1;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">${label}</a></p>
<p style="font-size:13px;color:#475569">If the button does not work, paste this link into your browser:<br><span style="word-break:break-all">{{${placeholder}}}</span></p>`;

const quote = (placeholder: string) =>
  `<blockquote style="white-space: pre-wrap; border-left: 3px solid #ccc; margin: 0; padding-left: 12px;">{{${placeholder}}}</blockquote>`;

const plural = (n: number, one: string, many: string) => (n === 1 ? one : `${n} ${many}`);
const str = (d: object) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v == null ? '' : String(v)]));

const APP = 'https://panel.example.com';

export const EMAIL_DEFINITIONS: { [K in EmailTemplateName]: EmailDefinition<K> } = {
  welcome: {
    purpose: 'Sent when someone signs up: welcome, and confirm the email address.',
    placeholders: { name, verifyUrl: link('The link that confirms the email address (valid 48 hours).') },
    values: str,
    sample: { name: 'Ada Lovelace', verifyUrl: `${APP}/verify-email/sample-token` },
    subject: 'Welcome to {{brand}}: confirm your email',
    html: `<p>Hello {{name}},</p>
<p>Welcome to {{brand}}. Your account and your organization are ready. Please confirm your email address so we can reach you about your servers and billing.</p>
${button('verifyUrl', 'Confirm my email')}
<p>The link is valid for 48 hours.</p>`,
    text: `Hello {{name}},

Welcome to {{brand}}. Your account and your organization are ready.
Please confirm your email address (the link is valid for 48 hours):

{{verifyUrl}}
`,
  },

  verify_email: {
    purpose: 'Sent to confirm an email address (a new address, or a new confirmation link).',
    placeholders: { name, verifyUrl: link('The link that confirms the email address (valid 48 hours).') },
    values: str,
    sample: { name: 'Ada Lovelace', verifyUrl: `${APP}/verify-email/sample-token` },
    subject: 'Confirm your email address for {{brand}}',
    html: `<p>Hello {{name}},</p>
<p>Please confirm that this is your email address for {{brand}}.</p>
${button('verifyUrl', 'Confirm my email')}
<p>The link is valid for 48 hours. If you did not ask for this, you can ignore this email.</p>`,
    text: `Hello {{name}},

Please confirm that this is your email address for {{brand}} (the link is valid for 48 hours):

{{verifyUrl}}

If you did not ask for this, you can ignore this email.
`,
  },

  password_reset: {
    purpose: 'Sent when someone asks to reset a forgotten password.',
    placeholders: {
      name,
      resetUrl: link('The link to choose a new password (works once).'),
      expiresMinutes: p('How many minutes the link works, e.g. 60.'),
    },
    values: str,
    sample: { name: 'Ada Lovelace', resetUrl: `${APP}/reset-password/sample-token`, expiresMinutes: 60 },
    subject: 'Reset your {{brand}} password',
    html: `<p>Hello {{name}},</p>
<p>Someone asked to reset the password of your {{brand}} account. If it was you, choose a new password:</p>
${button('resetUrl', 'Choose a new password')}
<p>The link works once and expires in {{expiresMinutes}} minutes. If you did not ask for this, ignore this email: your password stays as it is.</p>`,
    text: `Hello {{name}},

Someone asked to reset the password of your {{brand}} account. If it was you, choose a new password here
(the link works once and expires in {{expiresMinutes}} minutes):

{{resetUrl}}

If you did not ask for this, ignore this email: your password stays as it is.
`,
  },

  new_sign_in: {
    purpose: 'Sent when an account is signed in to from a new device.',
    placeholders: {
      name,
      when: p('When it happened (date and time).'),
      ip: p('The IP address it came from.'),
      userAgent: p('The browser or device, as it named itself.'),
    },
    values: str,
    sample: { name: 'Ada Lovelace', ip: '192.0.2.7', userAgent: 'Firefox on Linux', when: '7 Dec 2026, 09:30 UTC' },
    subject: 'New sign-in to your {{brand}} account',
    html: `<p>Hello {{name}},</p>
<p>Your {{brand}} account was just signed in to.</p>
<ul><li>When: {{when}}</li><li>IP address: {{ip}}</li><li>Device: {{userAgent}}</li></ul>
<p>If this was not you, change your password now and sign out your other sessions from your security settings.</p>`,
    text: `Hello {{name}},

Your {{brand}} account was just signed in to.
When: {{when}}
IP address: {{ip}}
Device: {{userAgent}}

If this was not you, change your password now and sign out your other sessions from your security settings.
`,
  },

  password_changed: {
    purpose: 'Sent when the password of an account is changed.',
    placeholders: {
      name,
      when: p('When it was changed.'),
      resetUrl: link('The forgot-password page (no token).'),
      apiKeysRevoked: p('How many API keys were revoked with it (a number, may be 0).'),
      apiKeysNote: p(
        'Empty when no API key was revoked; otherwise “, and so were your 2 API keys: create new ones under Settings → API keys where you still need them”.',
      ),
    },
    values: (d) => ({
      ...str(d),
      apiKeysNote:
        d.apiKeysRevoked > 0
          ? `, and so were your ${plural(d.apiKeysRevoked, 'API key', 'API keys')}: create new ones under Settings → API keys where you still need them`
          : '',
    }),
    sample: {
      name: 'Ada Lovelace',
      when: '7 Dec 2026, 09:30 UTC',
      resetUrl: `${APP}/forgot-password`,
      apiKeysRevoked: 2,
    },
    subject: 'Your {{brand}} password was changed',
    html: `<p>Hello {{name}},</p>
<p>The password of your {{brand}} account was changed on {{when}}. Your other sessions and API access tokens were signed out{{apiKeysNote}}.</p>
<p>If you did not do this, reset your password at once:</p>
${button('resetUrl', 'Reset my password')}`,
    text: `Hello {{name}},

The password of your {{brand}} account was changed on {{when}}. Your other sessions and API access tokens were signed out{{apiKeysNote}}.
If you did not do this, reset your password at once: {{resetUrl}}
`,
  },

  two_factor_changed: {
    purpose: 'Sent when two-factor authentication is turned on or off for an account.',
    placeholders: { name, state: p('“enabled” or “disabled”.'), when: p('When it happened.') },
    values: (d) => ({ name: d.name, when: d.when, state: d.enabled ? 'enabled' : 'disabled' }),
    sample: { name: 'Ada Lovelace', enabled: true, when: '7 Dec 2026, 09:30 UTC' },
    subject: 'Two-factor authentication {{state}} on your {{brand}} account',
    html: `<p>Hello {{name}},</p>
<p>Two-factor authentication was <strong>{{state}}</strong> on your {{brand}} account on {{when}}.</p>
<p>If you did not do this, change your password now and contact support.</p>`,
    text: `Hello {{name}},

Two-factor authentication was {{state}} on your {{brand}} account on {{when}}.
If you did not do this, change your password now and contact support.
`,
  },

  email_changed: {
    purpose: 'Sent to the old address when the email address of an account is changed.',
    placeholders: { name, newEmail: p('The new email address.'), when: p('When it was changed.') },
    values: str,
    sample: { name: 'Ada Lovelace', newEmail: 'ada@new.example', when: '7 Dec 2026, 09:30 UTC' },
    subject: 'The email address of your {{brand}} account was changed',
    html: `<p>Hello {{name}},</p>
<p>On {{when}} the email address of your {{brand}} account was changed to <strong>{{newEmail}}</strong>. We will write to that address from now on.</p>
<p>If you did not make this change, contact support at once: someone may have access to your account.</p>`,
    text: `Hello {{name}},

On {{when}} the email address of your {{brand}} account was changed to {{newEmail}}.
We will write to that address from now on.

If you did not make this change, contact support at once: someone may have access to your account.
`,
  },

  invitation: {
    purpose: 'Sent when someone is invited to join an organization.',
    placeholders: {
      organization: p('The organization they are invited to.'),
      inviter: p('Who invited them.'),
      role: p('The role they would have.'),
      acceptUrl: link('The invitation link (works once).'),
      expiresAt: p('When the invitation expires.'),
    },
    values: str,
    sample: {
      organization: 'Acme Hosting',
      inviter: 'Grace Hopper',
      role: 'member',
      acceptUrl: `${APP}/invitations/sample-token`,
      expiresAt: '14 Dec 2026, 09:30 UTC',
    },
    subject: '{{inviter}} invited you to {{organization}} on {{brand}}',
    html: `<p>Hello,</p>
<p><strong>{{inviter}}</strong> invited you to join <strong>{{organization}}</strong> on {{brand}} as <strong>{{role}}</strong>.</p>
${button('acceptUrl', 'View the invitation')}
<p>Sign in (or create an account) with this email address to accept or decline. The link is valid until {{expiresAt}} and works once.</p>
<p>If you were not expecting this, you can ignore this email.</p>`,
    text: `Hello,

{{inviter}} invited you to join {{organization}} on {{brand}} as {{role}}.

Open this link to accept or decline (sign in, or create an account, with this email address):

{{acceptUrl}}

The link is valid until {{expiresAt}} and works once. If you were not expecting this, you can ignore this email.
`,
  },

  top_up_receipt: {
    purpose: "Sent to billing contacts when funds are added to an organization's wallet.",
    placeholders: {
      name,
      organization,
      amount: p('The amount added, formatted (e.g. $25.00).'),
      balance: p('The balance after it.'),
      invoiceNumber: p('The receipt’s invoice number.'),
      invoiceUrl: link('The receipt in the portal.'),
    },
    values: str,
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      amount: '$25.00',
      balance: '$31.40',
      invoiceNumber: 'INV-2026-000042',
      invoiceUrl: `${APP}/invoices/sample`,
    },
    subject: '{{brand}} receipt {{invoiceNumber}}: {{amount}} added to your wallet',
    html: `<p>Hello {{name}},</p>
<p>Thank you: <strong>{{amount}}</strong> was added to the wallet of <strong>{{organization}}</strong>. Its balance is now <strong>{{balance}}</strong>.</p>
<p>Your receipt is invoice <strong>{{invoiceNumber}}</strong>. Download it as a PDF from the portal (sign in first):</p>
${button('invoiceUrl', 'Download receipt {{invoiceNumber}}')}`,
    text: `Hello {{name}},

Thank you: {{amount}} was added to the wallet of {{organization}}. Its balance is now {{balance}}.

Your receipt is invoice {{invoiceNumber}}. Download it as a PDF from the portal (sign in first):
{{invoiceUrl}}
`,
  },

  refund_issued: {
    purpose: 'Sent to billing contacts when staff refund a top-up (to the wallet or to PayPal).',
    placeholders: {
      name,
      organization,
      amount: p('The amount refunded.'),
      balance: p('The wallet balance now.'),
      destinationPhrase: p('“to your PayPal account” or “to your wallet”.'),
      refundSentence: p('What was refunded where, as a sentence (it differs for PayPal and the wallet).'),
      balanceSentence: p('The balance now, as a sentence.'),
      billingUrl: link('The billing page in the portal.'),
    },
    values: (d) => ({
      name: d.name,
      organization: d.organization,
      amount: d.amount,
      balance: d.balance,
      billingUrl: d.billingUrl,
      destinationPhrase: d.destination === 'paypal' ? 'to your PayPal account' : 'to your wallet',
      refundSentence:
        d.destination === 'paypal'
          ? `We refunded ${d.amount} of a top-up of ${d.organization} to the PayPal account that paid it. PayPal may take a few days to show it.`
          : `We refunded ${d.amount} to the wallet of ${d.organization} as credit.`,
      balanceSentence:
        d.destination === 'paypal'
          ? `The amount left the wallet when the refund was made; its balance is now ${d.balance}.`
          : `Its balance is now ${d.balance}.`,
    }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      amount: '$10.00',
      destination: 'paypal',
      balance: '$21.40',
      billingUrl: `${APP}/billing`,
    },
    subject: '{{brand}}: {{amount}} refunded {{destinationPhrase}}',
    html: `<p>Hello {{name}},</p>
<p>{{refundSentence}}</p>
<p>{{balanceSentence}}</p>
${button('billingUrl', 'See your billing')}`,
    text: `Hello {{name}},

{{refundSentence}}
{{balanceSentence}}

See your billing: {{billingUrl}}
`,
  },

  statement_ready: {
    purpose: "Sent to billing contacts when a month's statement is issued.",
    placeholders: {
      name,
      organization,
      month: p('The month, e.g. November 2026.'),
      number: p('The statement number.'),
      opening: p('Opening balance.'),
      credits: p('Top-ups, credits and adjustments.'),
      charges: p('Charges.'),
      refunds: p('Refunds.'),
      closing: p('Closing balance.'),
      statementUrl: link('The statement in the portal.'),
      pdfUrl: link('The statement as a PDF.'),
    },
    values: str,
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      month: 'November 2026',
      number: 'INV-2026-000040',
      opening: '$12.00',
      credits: '$25.00',
      charges: '$18.60',
      refunds: '$0.00',
      closing: '$18.40',
      statementUrl: `${APP}/invoices/sample`,
      pdfUrl: `${APP}/invoices/sample/pdf`,
    },
    subject: 'Your {{brand}} statement for {{month}} is ready',
    html: `<p>Hello {{name}},</p>
<p>The statement of <strong>{{organization}}</strong> for <strong>{{month}}</strong> ({{number}}) is ready.</p>
<table role="presentation" cellpadding="0" cellspacing="0" style="margin:16px 0;font-size:14px">
  <tr><td style="padding:2px 16px 2px 0">Opening balance</td><td style="text-align:right">{{opening}}</td></tr>
  <tr><td style="padding:2px 16px 2px 0">Top-ups, credits and adjustments</td><td style="text-align:right">{{credits}}</td></tr>
  <tr><td style="padding:2px 16px 2px 0">Charges</td><td style="text-align:right">{{charges}}</td></tr>
  <tr><td style="padding:2px 16px 2px 0">Refunds</td><td style="text-align:right">{{refunds}}</td></tr>
  <tr><td style="padding:2px 16px 2px 0;font-weight:600">Closing balance</td><td style="text-align:right;font-weight:600">{{closing}}</td></tr>
</table>
${button('statementUrl', 'View the statement')}
<p style="font-size:13px;color:#475569">PDF: <a href="{{pdfUrl}}">{{pdfUrl}}</a></p>`,
    text: `Hello {{name}},

The statement of {{organization}} for {{month}} ({{number}}) is ready.

Opening balance: {{opening}}
Top-ups, credits and adjustments: {{credits}}
Charges: {{charges}}
Refunds: {{refunds}}
Closing balance: {{closing}}

View the statement: {{statementUrl}}
PDF: {{pdfUrl}}
`,
  },

  low_balance: {
    purpose: "Sent to billing contacts (at most once a day) when a wallet's balance runs low.",
    placeholders: {
      name,
      organization,
      balance: p('The balance left.'),
      threshold: p('The low-balance threshold.'),
      hourlyBurn: p('What the servers cost an hour now.'),
      hoursLeft: p('Hours the balance lasts at that rate (may be -1: not known).'),
      hoursLeftNote: p('“, about 40 hours at the current $0.12 an hour”, or empty when not known.'),
      topUpUrl: link('The top-up page.'),
    },
    values: (d) => ({
      ...str(d),
      hoursLeftNote: d.hoursLeft >= 0 ? `, about ${d.hoursLeft} hours at the current ${d.hourlyBurn} an hour` : '',
    }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      balance: '$4.80',
      threshold: '$5.00',
      hourlyBurn: '$0.12',
      hoursLeft: 40,
      topUpUrl: `${APP}/billing/top-up`,
    },
    subject: 'Your {{brand}} balance is low: {{balance}} left',
    html: `<p>Hello {{name}},</p>
<p>The wallet of <strong>{{organization}}</strong> is running low: <strong>{{balance}}</strong> left{{hoursLeftNote}}. We warn below {{threshold}} or a day of usage.</p>
<p>When the balance goes below zero, your servers are suspended after a grace period. Top up now to keep them running:</p>
${button('topUpUrl', 'Top up')}
<p style="font-size:13px;color:#475569">You get this at most once a day. Turn billing emails off under Settings → Notifications.</p>`,
    text: `Hello {{name}},

The wallet of {{organization}} is running low: {{balance}} left{{hoursLeftNote}}. We warn below {{threshold}} or a day of usage.

When the balance goes below zero, your servers are suspended after a grace period. Top up now to keep them running:
{{topUpUrl}}

You get this at most once a day. Turn billing emails off under Settings → Notifications.
`,
  },

  runway: {
    purpose: 'Sent to billing contacts when the balance lasts 7 days or less, and again at 3 days or less.',
    placeholders: {
      name,
      organization,
      days: p('The threshold crossed: 7 or 3.'),
      runwayDays: p('About how many days the balance lasts.'),
      balance: p('The balance.'),
      hourlyBurn: p('What the servers cost an hour now.'),
      topUpUrl: link('The top-up page.'),
    },
    values: str,
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      days: 7,
      runwayDays: '6.5',
      balance: '$18.72',
      hourlyBurn: '$0.12',
      topUpUrl: `${APP}/billing/top-up`,
    },
    subject: 'Your {{brand}} balance lasts about {{runwayDays}} more days',
    html: `<p>Hello {{name}},</p>
<p>At the current usage of <strong>{{organization}}</strong> ({{hourlyBurn}} an hour), its balance of <strong>{{balance}}</strong> lasts about <strong>{{runwayDays}} days</strong>: {{days}} days or less.</p>
<p>Top up before it runs out to keep your servers running:</p>
${button('topUpUrl', 'Top up')}
<p style="font-size:13px;color:#475569">We tell you once when the runway drops to 7 days or less and once at 3 days or less. Turn billing emails off under Settings → Notifications.</p>`,
    text: `Hello {{name}},

At the current usage of {{organization}} ({{hourlyBurn}} an hour), its balance of {{balance}} lasts about {{runwayDays}} days: {{days}} days or less.

Top up before it runs out to keep your servers running:
{{topUpUrl}}

We tell you once when the runway drops to 7 days or less and once at 3 days or less. Turn billing emails off under Settings → Notifications.
`,
  },

  arrears: {
    purpose: 'Sent to billing contacts once a day while the balance is below zero.',
    placeholders: {
      name,
      organization,
      balance: p('The balance (below zero).'),
      since: p('Since when it is below zero.'),
      suspendAt: p('When the servers are suspended (empty when already suspended or exempt).'),
      terminateAt: p('When the servers are deleted (empty when exempt).'),
      suspensionSentence: p(
        'Whether the servers are suspended, or when they will be, or “Add funds to bring the balance back to zero or above.”',
      ),
      terminationSentence: p('When the servers will be deleted, as a sentence (empty when exempt).'),
      addFundsUrl: link('The top-up page.'),
    },
    values: (d) => ({
      name: d.name,
      organization: d.organization,
      balance: d.balance,
      since: d.since,
      suspendAt: d.suspendAt ?? '',
      terminateAt: d.terminateAt ?? '',
      addFundsUrl: d.addFundsUrl,
      suspensionSentence: d.suspended
        ? 'Its servers are suspended (powered off). They are booted again as soon as the balance is back at zero or above.'
        : d.suspendAt
          ? `Unless funds are added, its servers will be powered off and suspended on ${d.suspendAt}.`
          : 'Add funds to bring the balance back to zero or above.',
      terminationSentence: d.terminateAt
        ? `If the balance is still below zero on ${d.terminateAt}, its servers will be deleted, with their data.`
        : '',
    }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      balance: '-$3.20',
      since: '5 Dec 2026',
      suspendAt: '8 Dec 2026, 09:00 UTC',
      terminateAt: '19 Dec 2026, 09:00 UTC',
      suspended: false,
      addFundsUrl: `${APP}/billing/top-up`,
    },
    subject: 'Your {{brand}} balance is below zero ({{balance}}): add funds to keep your servers',
    html: `<p>Hello {{name}},</p>
<p>The balance of <strong>{{organization}}</strong> is below zero: <strong>{{balance}}</strong> (since {{since}}). Servers keep being billed for every hour they exist, so the debt grows until funds are added.</p>
<p>{{suspensionSentence}}</p>
<p>{{terminationSentence}}</p>
${button('addFundsUrl', 'Add funds')}
<p style="font-size:13px;color:#475569">We remind you once a day while the balance is below zero.</p>`,
    text: `Hello {{name}},

The balance of {{organization}} is below zero: {{balance}} (since {{since}}). Servers keep being billed for every hour they exist, so the debt grows until funds are added.

{{suspensionSentence}}
{{terminationSentence}}

Add funds: {{addFundsUrl}}

We remind you once a day while the balance is below zero.
`,
  },

  suspension: {
    purpose: "Sent to billing contacts when an organization's servers are suspended for a negative balance.",
    placeholders: {
      name,
      organization,
      balance: p('The balance (below zero).'),
      servers: p('How many servers were suspended.'),
      serversWere: p('“server was” or “3 servers were”.'),
      terminateAt: p('When the servers are deleted if the balance stays below zero.'),
      addFundsUrl: link('The top-up page.'),
    },
    values: (d) => ({ ...str(d), serversWere: plural(d.servers, 'server was', 'servers were') }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      balance: '-$6.10',
      servers: 3,
      terminateAt: '19 Dec 2026, 09:00 UTC',
      addFundsUrl: `${APP}/billing/top-up`,
    },
    subject: 'Your {{brand}} servers are suspended: the balance is below zero',
    html: `<p>Hello {{name}},</p>
<p>The balance of <strong>{{organization}}</strong> has been below zero for too long (<strong>{{balance}}</strong>), so its {{serversWere}} powered off and <strong>suspended</strong>. A suspended server cannot be powered on, but its disks and addresses are kept.</p>
<p>Add funds to bring the balance back to zero or above: the suspension lifts at once, and the servers that were running are booted again.</p>
${button('addFundsUrl', 'Add funds')}
<p>If the balance is still below zero on <strong>{{terminateAt}}</strong>, the servers will be <strong>deleted</strong>, with their data.</p>`,
    text: `Hello {{name}},

The balance of {{organization}} has been below zero for too long ({{balance}}), so its {{serversWere}} powered off and suspended. A suspended server cannot be powered on, but its disks and addresses are kept.

Add funds to bring the balance back to zero or above: the suspension lifts at once, and the servers that were running are booted again.

Add funds: {{addFundsUrl}}

If the balance is still below zero on {{terminateAt}}, the servers will be deleted, with their data.
`,
  },

  final_notice: {
    purpose: 'Sent to billing contacts shortly before suspended servers are deleted.',
    placeholders: {
      name,
      organization,
      balance: p('The balance (below zero).'),
      servers: p('How many servers will be deleted.'),
      serversPhrase: p('“server” or “3 servers”.'),
      terminateAt: p('When they will be deleted.'),
      addFundsUrl: link('The top-up page.'),
    },
    values: (d) => ({ ...str(d), serversPhrase: plural(d.servers, 'server', 'servers') }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      balance: '-$9.30',
      servers: 3,
      terminateAt: '19 Dec 2026, 09:00 UTC',
      addFundsUrl: `${APP}/billing/top-up`,
    },
    subject: 'Final notice: your {{brand}} servers will be deleted on {{terminateAt}}',
    html: `<p>Hello {{name}},</p>
<p>This is the final notice for <strong>{{organization}}</strong>: its balance is still below zero (<strong>{{balance}}</strong>). On <strong>{{terminateAt}}</strong> its {{serversPhrase}} will be <strong>deleted</strong>, with their disks, backups and addresses. This cannot be undone.</p>
<p>Add funds before then to keep them: the suspension lifts at once.</p>
${button('addFundsUrl', 'Add funds')}`,
    text: `Hello {{name}},

This is the final notice for {{organization}}: its balance is still below zero ({{balance}}). On {{terminateAt}} its {{serversPhrase}} will be deleted, with their disks, backups and addresses. This cannot be undone.

Add funds before then to keep them: the suspension lifts at once.

Add funds: {{addFundsUrl}}
`,
  },

  termination: {
    purpose: 'Sent to billing contacts when servers were deleted because the balance stayed below zero.',
    placeholders: {
      name,
      organization,
      balance: p('The balance (still below zero).'),
      servers: p('How many servers were deleted.'),
      serversWere: p('“server was” or “3 servers were”.'),
      addFundsUrl: link('The top-up page.'),
    },
    values: (d) => ({ ...str(d), serversWere: plural(d.servers, 'server was', 'servers were') }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      balance: '-$9.80',
      servers: 3,
      addFundsUrl: `${APP}/billing/top-up`,
    },
    subject: 'Your {{brand}} servers were deleted: the balance stayed below zero',
    html: `<p>Hello {{name}},</p>
<p>The balance of <strong>{{organization}}</strong> stayed below zero past the deadline, so its {{serversWere}} <strong>deleted</strong>. The unused minutes of the last hour went back to the wallet.</p>
<p>The balance is still <strong>{{balance}}</strong>. Add funds to settle it before creating new servers.</p>
${button('addFundsUrl', 'Add funds')}`,
    text: `Hello {{name}},

The balance of {{organization}} stayed below zero past the deadline, so its {{serversWere}} deleted. The unused minutes of the last hour went back to the wallet.

The balance is still {{balance}}. Add funds to settle it before creating new servers.

Add funds: {{addFundsUrl}}
`,
  },

  ticket_staff: {
    purpose: 'Sent to support staff when a customer opens a ticket or replies to one.',
    placeholders: {
      name: p("The staff member's name."),
      eventLabel: p('“New ticket” or “Customer reply”.'),
      action: p('“opened ticket” or “replied to ticket”.'),
      number: p('The ticket number.'),
      subject: p("The ticket's subject."),
      organization: p("The customer's organization."),
      author: p('Who wrote the message.'),
      message: p("The message's text (never attachments or internal notes)."),
      ticketUrl: link('The ticket in the staff screens.'),
    },
    values: (d) => ({
      name: d.name,
      number: d.number,
      subject: d.subject,
      organization: d.organization,
      author: d.author,
      message: d.message,
      ticketUrl: d.ticketUrl,
      eventLabel: d.event === 'opened' ? 'New ticket' : 'Customer reply',
      action: d.event === 'opened' ? 'opened ticket' : 'replied to ticket',
    }),
    sample: {
      name: 'Grace Hopper',
      event: 'opened',
      number: '1042',
      subject: 'Server does not boot',
      organization: 'Acme Hosting',
      author: 'Ada Lovelace',
      message: 'Since this morning my server web-1 does not boot.\nCould you have a look?',
      ticketUrl: `${APP}/admin/tickets/sample`,
    },
    subject: '[{{brand}} #{{number}}] {{eventLabel}} from {{organization}}: {{subject}}',
    html: `<p>Hello {{name}},</p>
<p><strong>{{author}}</strong> ({{organization}}) {{action}} #{{number}}: <strong>{{subject}}</strong></p>
${quote('message')}
${button('ticketUrl', 'Open the ticket')}`,
    text: `Hello {{name}},

{{author}} ({{organization}}) {{action}} #{{number}}: {{subject}}

{{message}}

Answer it here: {{ticketUrl}}
`,
  },

  ticket_reply: {
    purpose: 'Sent to the customer when support replies to their ticket.',
    placeholders: {
      name,
      number: p('The ticket number.'),
      subject: p("The ticket's subject."),
      message: p("The reply's text."),
      ticketUrl: link('The ticket in the portal.'),
    },
    values: str,
    sample: {
      name: 'Ada Lovelace',
      number: '1042',
      subject: 'Server does not boot',
      message: 'We restarted the host; web-1 is running again.\nSorry for the trouble.',
      ticketUrl: `${APP}/support/tickets/sample`,
    },
    subject: '[{{brand}} #{{number}}] Support replied: {{subject}}',
    html: `<p>Hello {{name}},</p>
<p>Support replied to your ticket #{{number}}: <strong>{{subject}}</strong></p>
${quote('message')}
${button('ticketUrl', 'Read and reply')}`,
    text: `Hello {{name}},

Support replied to your ticket #{{number}}: {{subject}}

{{message}}

Read the conversation and reply here: {{ticketUrl}}
`,
  },

  contact_message: {
    purpose: 'Sent to the support address when someone writes through the public contact form.',
    placeholders: {
      sender: p("The sender's name, as typed."),
      senderEmail: p("The sender's email address, as typed."),
      category: p('The category chosen.'),
      subject: p('The subject typed.'),
      message: p('The message typed.'),
      inboxUrl: link('The message in the staff inbox.'),
    },
    values: str,
    sample: {
      sender: 'Ada Lovelace',
      senderEmail: 'ada@example.com',
      category: 'Sales',
      subject: 'Dedicated servers?',
      message: 'Do you also rent dedicated servers?\nThanks, Ada',
      inboxUrl: `${APP}/admin/contact/sample`,
    },
    subject: '[{{brand}} contact] {{category}}: {{subject}}',
    html: `<p>A message came in through the contact form.</p>
<p><strong>From:</strong> {{sender}} &lt;{{senderEmail}}&gt;<br><strong>Category:</strong> {{category}}<br><strong>Subject:</strong> {{subject}}</p>
${quote('message')}
${button('inboxUrl', 'Open it in the inbox')}`,
    text: `A message came in through the contact form.

From: {{sender}} <{{senderEmail}}>
Category: {{category}}
Subject: {{subject}}

{{message}}

Open it in the inbox: {{inboxUrl}}
`,
  },

  contact_reply: {
    purpose: 'Sent to the sender of a contact-form message when staff reply to it.',
    placeholders: {
      name: p("The sender's name."),
      subject: p('The subject of their message.'),
      reply: p("Staff's reply."),
      original: p('Their message.'),
    },
    values: str,
    sample: {
      name: 'Ada Lovelace',
      subject: 'Dedicated servers?',
      reply: 'Not yet, but our largest plans come close. Happy to help you choose.',
      original: 'Do you also rent dedicated servers?\nThanks, Ada',
    },
    subject: 'Re: {{subject}} ({{brand}})',
    html: `<p>Hello {{name}},</p>
<p>Thank you for contacting {{brand}}. Here is our answer to your message “{{subject}}”:</p>
<blockquote style="white-space: pre-wrap; border-left: 3px solid #0369a1; margin: 0; padding-left: 12px;">{{reply}}</blockquote>
<p style="margin-top:24px;font-size:13px;color:#475569">Your message:</p>
<blockquote style="white-space: pre-wrap; border-left: 3px solid #ccc; margin: 0; padding-left: 12px; font-size:13px; color:#475569">{{original}}</blockquote>`,
    text: `Hello {{name}},

Thank you for contacting {{brand}}. Here is our answer to your message "{{subject}}":

{{reply}}

Your message:

{{original}}
`,
  },

  // Web hosting (src/domain/hosting/emails.ts). The hosting panel's name is never said: customers know it as {{brand}}.
  hosting_welcome: {
    purpose:
      'Sent to billing contacts when a bought web hosting plan is ready (no password: the control panel opens by single sign-on from the portal).',
    placeholders: {
      name,
      organization,
      plan: p('The hosting plan.'),
      domain: p("The website's domain."),
      amount: p('What the first month cost.'),
      serverIps: p('The address(es) to point the domain at (may be empty).'),
      dnsSentence: p('“Point example.com at 203.0.113.10.” or empty when the address is not known yet.'),
      nextRenewal: p('When the plan renews.'),
      serviceUrl: link('The website in the portal.'),
    },
    values: (d) => ({
      ...str(d),
      dnsSentence: d.serverIps ? `Point the domain ${d.domain} at ${d.serverIps} (an A record) to take it live.` : '',
    }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      plan: 'Starter',
      domain: 'example.com',
      amount: '$5.00',
      serverIps: '203.0.113.10',
      nextRenewal: '7 Jan 2027',
      serviceUrl: `${APP}/hosting/sample`,
    },
    subject: 'Your website {{domain}} is ready on {{brand}}',
    html: `<p>Hello {{name}},</p>
<p>The web hosting of <strong>{{organization}}</strong> for <strong>{{domain}}</strong> ({{plan}}) is ready. The first month ({{amount}}) was paid from the wallet; the plan renews on {{nextRenewal}}.</p>
<p>{{dnsSentence}}</p>
<p>To manage the site (files, email, databases, WordPress, backups), open it in {{brand}} and press <strong>Open control panel</strong>: you are signed in at once. There is no separate password to keep, and we will never email you one.</p>
${button('serviceUrl', 'Manage the website')}`,
    text: `Hello {{name}},

The web hosting of {{organization}} for {{domain}} ({{plan}}) is ready. The first month ({{amount}}) was paid from the wallet; the plan renews on {{nextRenewal}}.

{{dnsSentence}}

To manage the site (files, email, databases, WordPress, backups), open it in {{brand}} and press "Open control panel": you are signed in at once. There is no separate password to keep, and we will never email you one.

Manage the website: {{serviceUrl}}
`,
  },

  hosting_renewal_receipt: {
    purpose: 'Sent to billing contacts when a web hosting plan renewed for another month.',
    placeholders: {
      name,
      organization,
      plan: p('The hosting plan.'),
      domain: p("The website's domain."),
      amount: p('What the month cost.'),
      periodStart: p('The first day of the month paid.'),
      periodEnd: p('The next renewal.'),
      balance: p('The wallet balance after the charge.'),
      serviceUrl: link('The website in the portal.'),
    },
    values: str,
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      plan: 'Starter',
      domain: 'example.com',
      amount: '$5.00',
      periodStart: '7 Dec 2026',
      periodEnd: '7 Jan 2027',
      balance: '$20.00',
      serviceUrl: `${APP}/hosting/sample`,
    },
    subject: '{{brand}} receipt: {{domain}} renewed until {{periodEnd}}',
    html: `<p>Hello {{name}},</p>
<p>The web hosting for <strong>{{domain}}</strong> ({{plan}}) of <strong>{{organization}}</strong> renewed: <strong>{{amount}}</strong> was paid from the wallet for {{periodStart}} to {{periodEnd}}.</p>
<p>The balance is now {{balance}}. The charge appears on the monthly statement.</p>
${button('serviceUrl', 'Manage the website')}`,
    text: `Hello {{name}},

The web hosting for {{domain}} ({{plan}}) of {{organization}} renewed: {{amount}} was paid from the wallet for {{periodStart}} to {{periodEnd}}.

The balance is now {{balance}}. The charge appears on the monthly statement.

Manage the website: {{serviceUrl}}
`,
  },

  hosting_renewal_failed: {
    purpose: 'Sent to billing contacts when a web hosting renewal could not be paid from the wallet.',
    placeholders: {
      name,
      organization,
      plan: p('The hosting plan.'),
      domain: p("The website's domain."),
      amount: p('The renewal price.'),
      balance: p('The wallet balance.'),
      dueSince: p('When the renewal fell due.'),
      suspendAt: p('When the website is suspended (empty when exempt).'),
      deleteAt: p('When the website is deleted (empty when exempt).'),
      consequenceSentence: p('What happens and when if it stays unpaid, as a sentence (empty when exempt).'),
      addFundsUrl: link('The top-up page.'),
    },
    values: (d) => ({
      ...str(d),
      consequenceSentence:
        d.suspendAt && d.deleteAt
          ? `If it is still unpaid, the website will be suspended on ${d.suspendAt} and deleted, with its files, mail and databases, on ${d.deleteAt}.`
          : '',
    }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      plan: 'Starter',
      domain: 'example.com',
      amount: '$5.00',
      balance: '$1.20',
      dueSince: '7 Dec 2026, 09:00 UTC',
      suspendAt: '8 Dec 2026, 09:00 UTC',
      deleteAt: '14 Dec 2026, 09:00 UTC',
      addFundsUrl: `${APP}/billing/top-up`,
    },
    subject: 'Action needed: the {{brand}} hosting of {{domain}} could not renew',
    html: `<p>Hello {{name}},</p>
<p>The web hosting for <strong>{{domain}}</strong> ({{plan}}) of <strong>{{organization}}</strong> was due to renew on {{dueSince}} for <strong>{{amount}}</strong>, but the wallet holds {{balance}}.</p>
<p>{{consequenceSentence}}</p>
<p>Add funds and the renewal is paid at once.</p>
${button('addFundsUrl', 'Add funds')}`,
    text: `Hello {{name}},

The web hosting for {{domain}} ({{plan}}) of {{organization}} was due to renew on {{dueSince}} for {{amount}}, but the wallet holds {{balance}}.

{{consequenceSentence}}

Add funds and the renewal is paid at once: {{addFundsUrl}}
`,
  },

  hosting_suspended: {
    purpose: 'Sent to billing contacts when a website is suspended because its renewal stayed unpaid.',
    placeholders: {
      name,
      organization,
      plan: p('The hosting plan.'),
      domain: p("The website's domain."),
      amount: p('What is due (every unpaid month).'),
      balance: p('The wallet balance.'),
      deleteAt: p('When the website is deleted (empty when exempt).'),
      deleteSentence: p('When the website will be deleted, as a sentence (empty when exempt).'),
      addFundsUrl: link('The top-up page.'),
    },
    values: (d) => ({
      ...str(d),
      deleteSentence: d.deleteAt
        ? `If it is still unpaid on ${d.deleteAt}, the website will be deleted, with its files, mail and databases.`
        : '',
    }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      plan: 'Starter',
      domain: 'example.com',
      amount: '$5.00',
      balance: '$1.20',
      deleteAt: '14 Dec 2026, 09:00 UTC',
      addFundsUrl: `${APP}/billing/top-up`,
    },
    subject: 'Your website {{domain}} is suspended: its {{brand}} hosting is unpaid',
    html: `<p>Hello {{name}},</p>
<p>The web hosting for <strong>{{domain}}</strong> ({{plan}}) of <strong>{{organization}}</strong> stayed unpaid ({{amount}} due, the wallet holds {{balance}}), so the website is <strong>suspended</strong>: visitors no longer reach it, but its files, mail and databases are kept.</p>
<p>Add funds: what is due is paid at once and the website comes back.</p>
${button('addFundsUrl', 'Add funds')}
<p>{{deleteSentence}}</p>`,
    text: `Hello {{name}},

The web hosting for {{domain}} ({{plan}}) of {{organization}} stayed unpaid ({{amount}} due, the wallet holds {{balance}}), so the website is suspended: visitors no longer reach it, but its files, mail and databases are kept.

Add funds: what is due is paid at once and the website comes back.
{{addFundsUrl}}

{{deleteSentence}}
`,
  },

  hosting_final_notice: {
    purpose: 'Sent to billing contacts a day before a website with unpaid hosting is deleted.',
    placeholders: {
      name,
      organization,
      plan: p('The hosting plan.'),
      domain: p("The website's domain."),
      amount: p('What is due.'),
      balance: p('The wallet balance.'),
      deleteAt: p('When the website will be deleted.'),
      addFundsUrl: link('The top-up page.'),
    },
    values: str,
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      plan: 'Starter',
      domain: 'example.com',
      amount: '$5.00',
      balance: '$1.20',
      deleteAt: '14 Dec 2026, 09:00 UTC',
      addFundsUrl: `${APP}/billing/top-up`,
    },
    subject: 'Final notice: your website {{domain}} will be deleted on {{deleteAt}}',
    html: `<p>Hello {{name}},</p>
<p>This is the final notice for the web hosting of <strong>{{domain}}</strong> ({{plan}}) of <strong>{{organization}}</strong>: {{amount}} is still due and the wallet holds {{balance}}. On <strong>{{deleteAt}}</strong> the website will be <strong>deleted</strong>, with its files, mail, databases and backups. This cannot be undone.</p>
<p>Add funds before then to keep it.</p>
${button('addFundsUrl', 'Add funds')}`,
    text: `Hello {{name}},

This is the final notice for the web hosting of {{domain}} ({{plan}}) of {{organization}}: {{amount}} is still due and the wallet holds {{balance}}. On {{deleteAt}} the website will be deleted, with its files, mail, databases and backups. This cannot be undone.

Add funds before then to keep it: {{addFundsUrl}}
`,
  },

  hosting_recovered: {
    purpose:
      'Sent to billing contacts when unpaid web hosting was paid after funds were added (and the website is enabled again).',
    placeholders: {
      name,
      organization,
      plan: p('The hosting plan.'),
      domain: p("The website's domain."),
      amount: p('What was charged now.'),
      periods: p('How many months were paid now.'),
      monthsPhrase: p('“the month” or “3 months”.'),
      nextRenewal: p('The next renewal.'),
      reenabledSentence: p('“The website is enabled again.” when it had been suspended, else empty.'),
      serviceUrl: link('The website in the portal.'),
    },
    values: (d) => ({
      ...str(d),
      monthsPhrase: d.periods === 1 ? 'the month' : `${d.periods} months`,
      reenabledSentence: d.reenabled ? 'The website is enabled again: visitors reach it as before.' : '',
    }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      plan: 'Starter',
      domain: 'example.com',
      amount: '$10.00',
      periods: 2,
      nextRenewal: '7 Feb 2027',
      reenabled: true,
      serviceUrl: `${APP}/hosting/sample`,
    },
    subject: 'Your {{brand}} hosting for {{domain}} is paid up',
    html: `<p>Hello {{name}},</p>
<p>Thank you: the web hosting for <strong>{{domain}}</strong> ({{plan}}) of <strong>{{organization}}</strong> is paid up. <strong>{{amount}}</strong> for {{monthsPhrase}} due was taken from the wallet; the next renewal is on {{nextRenewal}}.</p>
<p>{{reenabledSentence}}</p>
${button('serviceUrl', 'Manage the website')}`,
    text: `Hello {{name}},

Thank you: the web hosting for {{domain}} ({{plan}}) of {{organization}} is paid up. {{amount}} for {{monthsPhrase}} due was taken from the wallet; the next renewal is on {{nextRenewal}}.

{{reenabledSentence}}

Manage the website: {{serviceUrl}}
`,
  },

  hosting_cancelled: {
    purpose:
      'Sent to billing contacts when a web hosting plan ends (cancelled now, at the end of its period, by staff, or for non-payment), with the refund if any.',
    placeholders: {
      name,
      organization,
      plan: p('The hosting plan.'),
      domain: p("The website's domain."),
      reasonSentence: p('Why the hosting ended, as a sentence.'),
      refund: p('The refund to the wallet (empty when none).'),
      refundSentence: p('“$2.50 for the unused days went back to the wallet.” or empty.'),
      balance: p('The wallet balance.'),
      billingUrl: link('The billing page.'),
    },
    values: (d) => ({
      name: d.name,
      organization: d.organization,
      plan: d.plan,
      domain: d.domain,
      balance: d.balance,
      billingUrl: d.billingUrl,
      refund: d.refund ?? '',
      reasonSentence: {
        cancelled: 'It was cancelled at your request and ended now.',
        period_end: 'It was cancelled at your request and ended at the end of its paid period.',
        staff: 'It was cancelled by our staff.',
        unpaid: 'Its renewal stayed unpaid past the deadline, so it was ended.',
      }[d.reason],
      refundSentence: d.refund ? `${d.refund} for the unused days of the month went back to the wallet.` : '',
    }),
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      plan: 'Starter',
      domain: 'example.com',
      reason: 'cancelled',
      refund: '$2.50',
      balance: '$22.50',
      billingUrl: `${APP}/billing`,
    },
    subject: 'The {{brand}} hosting for {{domain}} has ended',
    html: `<p>Hello {{name}},</p>
<p>The web hosting for <strong>{{domain}}</strong> ({{plan}}) of <strong>{{organization}}</strong> has ended, and the website with its files, mail and databases was deleted. {{reasonSentence}}</p>
<p>{{refundSentence}} The balance is {{balance}}.</p>
${button('billingUrl', 'See your billing')}`,
    text: `Hello {{name}},

The web hosting for {{domain}} ({{plan}}) of {{organization}} has ended, and the website with its files, mail and databases was deleted. {{reasonSentence}}

{{refundSentence}} The balance is {{balance}}.

See your billing: {{billingUrl}}
`,
  },

  webhook_disabled: {
    purpose:
      'Sent to an organization’s owners when a webhook endpoint is disabled because its deliveries failed for a day.',
    placeholders: {
      name,
      organization,
      url: p('The endpoint’s URL.'),
      reason: p('Why it was disabled (the last answer or error).'),
      webhookUrl: link('The endpoint’s page in the portal.'),
    },
    values: str,
    sample: {
      name: 'Ada Lovelace',
      organization: 'Acme Hosting',
      url: 'https://hooks.example.com/skypanel',
      reason: 'Deliveries failed for 24 hours; the last attempt: the endpoint answered 500.',
      webhookUrl: `${APP}/webhooks`,
    },
    subject: 'A {{brand}} webhook endpoint of {{organization}} was disabled',
    html: `<p>Hello {{name}},</p>
<p>The webhook endpoint <strong>{{url}}</strong> of <strong>{{organization}}</strong> was disabled: {{reason}}</p>
<p>No more events are sent to it. When the receiver works again, re-enable it and redeliver the events it missed from its delivery log.</p>
${button('webhookUrl', 'Open the endpoint')}`,
    text: `Hello {{name}},

The webhook endpoint {{url}} of {{organization}} was disabled: {{reason}}

No more events are sent to it. When the receiver works again, re-enable it and redeliver the events it missed from its delivery log:
{{webhookUrl}}
`,
  },
};
