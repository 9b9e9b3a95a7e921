import { describe, expect, it } from 'vitest';
import { EMAIL_DEFINITIONS } from '../../src/mail/defaults.ts';
import { renderHtml, renderText, validateTemplate, type PlaceholderSpecs } from '../../src/mail/placeholders.ts';
import { fillSecrets, withholdSecrets } from '../../src/mail/secrets.ts';
import {
  defaultTemplate,
  EMAIL_TEMPLATE_NAMES,
  placeholdersOf,
  renderEmail,
  SECRET_FIELDS,
  type EmailTemplateName,
} from '../../src/mail/templates.ts';

// Logic-less email templates (issue 16 item 5): {{name}} only, validated against each email's
// placeholders; values escaped in HTML; no template can run code.

const specs: PlaceholderSpecs = {
  name: { description: 'name' },
  url: { description: 'a link', link: true },
};
const errorsOf = (html: string, extra: Partial<{ subject: string; text: string }> = {}) =>
  validateTemplate({ subject: 'Hi {{name}}', text: 'Hello {{name}}', html, ...extra }, specs);

/** Known XSS payloads, as a user could type them into a name, a ticket or a contact message. */
const PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '"><svg onload=alert(1)>',
  "'><a href=javascript:alert(1)>x</a>",
  '</blockquote><iframe src="javascript:alert(1)"></iframe>',
  '{{name}}',
];

describe('every email', () => {
  it('has a default that validates against its placeholders and renders its sample data', () => {
    expect(EMAIL_TEMPLATE_NAMES.length).toBeGreaterThanOrEqual(21);
    for (const name of EMAIL_TEMPLATE_NAMES) {
      expect(validateTemplate(defaultTemplate(name), placeholdersOf(name)), name).toEqual({});
      const mail = renderEmail(name, 'Acme Cloud', EMAIL_DEFINITIONS[name].sample as never);
      expect(mail.subject, name).not.toMatch(/\{\{|\}\}|undefined|null/);
      expect(mail.subject.length, name).toBeGreaterThan(5);
      for (const part of [mail.html, mail.text]) {
        expect(part, name).not.toMatch(/\{\{|\}\}|undefined|\[object/);
      }
      expect(mail.html, name).toContain('Acme Cloud'); // the layout's header
      expect(mail.html, name).toContain(`<title>${mail.subject.replace(/&/g, '&amp;')}`);
      // Every link in the HTML is an http(s) URL (no '#' fallbacks for the sample data).
      for (const [, href] of mail.html.matchAll(/href="([^"]*)"/g)) expect(href, name).toMatch(/^https:\/\//);
    }
  });

  it('uses every placeholder its list documents in the default, or documents why not', () => {
    // A documented placeholder the default does not use is fine (an alternative for the admin),
    // but each email's placeholders have a description.
    for (const name of EMAIL_TEMPLATE_NAMES)
      for (const [p, spec] of Object.entries(placeholdersOf(name)))
        expect(spec.description.length, `${name}.${p}`).toBeGreaterThan(3);
  });

  it('computes the wording the old templates decided with ifs', () => {
    const base = EMAIL_DEFINITIONS.low_balance.sample;
    expect(renderEmail('low_balance', 'S', { ...base, hoursLeft: 40 }).text).toContain(
      '$4.80 left, about 40 hours at the current $0.12 an hour. We warn',
    );
    expect(renderEmail('low_balance', 'S', { ...base, hoursLeft: -1 }).text).toContain('$4.80 left. We warn');
    const suspension = EMAIL_DEFINITIONS.suspension.sample;
    expect(renderEmail('suspension', 'S', { ...suspension, servers: 1 }).text).toContain('its server was powered off');
    expect(renderEmail('suspension', 'S', { ...suspension, servers: 3 }).text).toContain('its 3 servers were powered');
    const refund = EMAIL_DEFINITIONS.refund_issued.sample;
    expect(renderEmail('refund_issued', 'S', { ...refund, destination: 'wallet' }).subject).toBe(
      'S: $10.00 refunded to your wallet',
    );
    expect(renderEmail('refund_issued', 'S', { ...refund, destination: 'paypal' }).text).toContain('PayPal account');
    const twoFactor = EMAIL_DEFINITIONS.two_factor_changed.sample;
    expect(renderEmail('two_factor_changed', 'S', { ...twoFactor, enabled: false }).subject).toBe(
      'Two-factor authentication disabled on your S account',
    );
    const arrears = EMAIL_DEFINITIONS.arrears.sample;
    const suspended = renderEmail('arrears', 'S', { ...arrears, suspended: true, suspendAt: null, terminateAt: null });
    expect(suspended.text).toContain('Its servers are suspended (powered off).');
    expect(suspended.text).not.toContain('will be deleted');
    const changed = EMAIL_DEFINITIONS.password_changed.sample;
    expect(renderEmail('password_changed', 'S', { ...changed, apiKeysRevoked: 0 }).text).toContain(
      'were signed out.\n',
    );
    expect(renderEmail('password_changed', 'S', { ...changed, apiKeysRevoked: 1 }).text).toContain(
      'and so were your API key:',
    );
  });

  it('keeps sealed links working: a link placeholder starts the href with the sealed value, filled at delivery', () => {
    for (const name of EMAIL_TEMPLATE_NAMES) {
      const fields = SECRET_FIELDS[name] as readonly string[];
      if (!fields.length) continue;
      const sample = EMAIL_DEFINITIONS[name].sample as Record<string, unknown>;
      const { data, secrets } = withholdSecrets(sample, fields as never);
      const mail = renderEmail(name, 'S', data as never);
      for (const field of fields) expect(mail.html, name).not.toContain(String(sample[field]));
      const filled = fillSecrets(mail, secrets);
      for (const field of fields) {
        expect(filled.html, name).toContain(`href="${String(sample[field])}"`);
        expect(filled.text, name).toContain(String(sample[field]));
      }
    }
  });
});

describe('validation', () => {
  it('refuses unknown placeholders, naming each and listing the known ones', () => {
    const errors = validateTemplate(
      { subject: '{{nmae}} hi', html: '<p>{{name}} {{password}}</p>', text: '{{name}}' },
      specs,
    );
    expect(errors.subject).toContain('Unknown placeholder: {{nmae}}');
    expect(errors.html).toContain('Unknown placeholder: {{password}}');
    expect(errors.html).toContain('This email has: {{name}}, {{url}}');
    expect(errors.text).toBeUndefined();
  });

  it('refuses malformed placeholders and any other template syntax', () => {
    for (const bad of [
      '{{ name }}',
      '{{ name',
      '{{name',
      '{{#if name}}x{{/if}}',
      '{{{name}}}',
      '{{name.first}}',
      '{{name | upper}}',
      '{{> partial}}',
      'a }} b',
      '{{}}',
      '{{constructor.constructor("alert(1)")()}}',
    ]) {
      const errors = validateTemplate({ subject: 'x', html: '<p>x</p>', text: bad }, specs);
      expect(errors.text, bad).toMatch(/Malformed placeholder/);
    }
    expect(validateTemplate({ subject: 'x', html: 'x', text: 'Hello {{ name' }, specs).text).toContain('{{ name');
    expect(validateTemplate({ subject: 'x', html: 'x', text: '{{#if}}' }, specs).text).toContain('{{#if}}');
  });

  it('refuses links in the subject (a sealed link would show as its placeholder, or be stored readable)', () => {
    expect(validateTemplate({ subject: 'Go {{url}}', html: 'x', text: 'x' }, specs).subject).toContain(
      'Links cannot go in the subject: {{url}}',
    );
  });

  it('refuses empty parts and a subject on two lines', () => {
    const errors = validateTemplate({ subject: 'a\nb', html: ' ', text: '' }, specs);
    expect(errors.subject).toContain('one line');
    expect(errors.html).toContain('cannot be empty');
    expect(errors.text).toContain('cannot be empty');
  });

  it('refuses active content an admin writes into the HTML (the rule: markup yes, code no)', () => {
    const refused: Array<[string, RegExp]> = [
      ['<script>alert(1)</script>', /<script> is not allowed/],
      ['<SCRIPT src="https://evil.example/x.js"></SCRIPT>', /<script> is not allowed/],
      ['<img src="x" onerror="alert(1)">', /Event handler attributes \(onerror\)/],
      ['<p onclick=alert(1)>x</p>', /onclick/],
      ['<a href="javascript:alert(1)">x</a>', /javascript: links are not allowed/],
      ['<a href=" java\tscript:alert(1)">x</a>', /javascript: links are not allowed/],
      ['<a href="javascript&#58;alert(1)">x</a>', /plainly/],
      ['<a href="data:text/html,<script>alert(1)</script>">x</a>', /data: links are not allowed/],
      ['<iframe src="https://evil.example"></iframe>', /<iframe> is not allowed/],
      ['<object data="x"></object>', /<object> is not allowed/],
      ['<embed src="x">', /<embed> is not allowed/],
      ['<form action="https://evil.example"><input name="p"></form>', /<form> is not allowed/],
      ['<svg><script>alert(1)</script></svg>', /<svg> is not allowed/],
      ['<base href="https://evil.example/">', /<base> is not allowed/],
      ['<meta http-equiv="refresh" content="0;url=https://evil.example">', /<meta> is not allowed/],
      ['<p style="background:url(javascript:alert(1))">x</p>', /style attribute is not allowed/],
      ['<p style="width:expression(alert(1))">x</p>', /style attribute is not allowed/],
    ];
    for (const [html, message] of refused) expect(errorsOf(html).html, html).toMatch(message);
  });

  it('refuses placeholders where escaping would not keep a value inert', () => {
    const refused: Array<[string, RegExp]> = [
      ['<a href="{{name}}">x</a>', /\{\{name\}\} is not a link/],
      ['<a href=" {{name}}">x</a>', /\{\{name\}\} is not a link/],
      ['<a href="java{{name}}">x</a>', /must follow a fixed https/],
      ['<img src={{url}}>', /needs quotes/],
      ['<p title={{name}}>x</p>', /needs quotes/],
      ['<p {{name}}>x</p>', /cannot be a tag or attribute name/],
      ['<{{name}}>', /cannot be a tag or attribute name/],
      ['</{{name}}>', /cannot be a tag or attribute name/],
      ['<p style="color:{{name}}">x</p>', /style attribute/],
      ['<style>p { color: {{name}} }</style>', /<style> block/],
    ];
    for (const [html, message] of refused) expect(errorsOf(html).html, html).toMatch(message);
  });

  it('accepts ordinary markup, quoted attributes, link placeholders and fixed link starts', () => {
    for (const html of [
      '<p>Hello <strong>{{name}}</strong></p>',
      '<a href="{{url}}">{{url}}</a>',
      '<a href="https://example.com/help?who={{name}}">help</a>',
      '<a href="mailto:support@example.com?subject={{name}}">mail</a>',
      '<img alt="{{name}}" src="https://example.com/logo.png">',
      "<p title='{{name}}'>x</p>",
      '<!-- {{name}} -->',
      '<table role="presentation"><tr><td style="padding:2px">{{name}}</td></tr></table>',
      '<style>p { color: #333 }</style><p>{{name}}</p>',
    ])
      expect(errorsOf(html), html).toEqual({});
  });
});

describe('rendering', () => {
  it('escapes every value in the HTML part and leaves the text part as typed', () => {
    for (const payload of PAYLOADS) {
      const mail = renderEmail('welcome', 'SkyPanel', { name: payload, verifyUrl: 'https://x.test/v/1' });
      expect(mail.html).not.toContain(payload.includes('<') ? payload : '\u0000');
      expect(mail.html).not.toMatch(/<(script|img|svg|iframe)\b/i);
      expect(mail.html).not.toMatch(/<[^>]*\son\w+=/i);
      expect(mail.text).toContain(`Hello ${payload},`);
    }
    const ticket = renderEmail('ticket_staff', 'SkyPanel', {
      ...EMAIL_DEFINITIONS.ticket_staff.sample,
      message: '<img src=x onerror=alert(1)>',
      subject: '"><script>alert(1)</script>',
    });
    expect(ticket.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(ticket.html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(ticket.subject).toContain('"><script>alert(1)</script>'); // a header is plain text
  });

  it('a value cannot name a placeholder or a replacement pattern', () => {
    expect(renderText('{{name}} / {{url}}', { name: '{{url}} $& $1 $$', url: 'u' })).toBe('{{url}} $& $1 $$ / u');
    expect(renderHtml('<p>{{name}}</p>', { name: '$`x' })).toBe('<p>$`x</p>');
  });

  it('uses a link placeholder in an href only when it is http(s)', () => {
    const html = '<a href="{{url}}">{{url}}</a>';
    expect(renderHtml(html, { url: 'https://ok.example/a?b=1&c=2' })).toBe(
      '<a href="https://ok.example/a?b=1&amp;c=2">https://ok.example/a?b=1&amp;c=2</a>',
    );
    for (const bad of ['javascript:alert(1)', ' javascript:alert(1)', 'data:text/html,x', 'vbscript:x', '//evil'])
      expect(renderHtml(html, { url: bad }), bad).toMatch(/^<a href="#">/);
  });

  it('an admin template that no longer validates is not used: the default is sent', () => {
    const stale = { subject: 'Old {{gone}}', html: '<p>{{gone}}</p>', text: '{{gone}}' };
    const mail = renderEmail('new_sign_in', 'S', EMAIL_DEFINITIONS.new_sign_in.sample, stale);
    expect(mail.subject).toBe('New sign-in to your S account');
    const fine = { subject: 'Sign-in: {{ip}}', html: '<p>From {{ip}}</p>', text: 'From {{ip}}' };
    const custom = renderEmail('new_sign_in', 'S', EMAIL_DEFINITIONS.new_sign_in.sample, fine);
    expect(custom.subject).toBe('Sign-in: 192.0.2.7');
    expect(custom.html).toContain('<p>From 192.0.2.7</p>');
    expect(custom.text).toBe('From 192.0.2.7');
  });
});

// Keep the type import used (the list is typed by it).
const _names: EmailTemplateName[] = EMAIL_TEMPLATE_NAMES;
void _names;
