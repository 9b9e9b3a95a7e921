import { formatAmount, type EmulatedOrder } from './state.ts';

/**
 * The emulator's stand-in for paypal.com's checkout page (§4.3). Plain HTML forms, no script,
 * so it works under the app's CSP; styles carry the request's CSP nonce when there is one.
 * It must never be mistaken for PayPal: the banner says what it is on every page.
 */

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const STYLE = `
body{font-family:system-ui,sans-serif;background:#f5f7fa;color:#1f2937;margin:0}
.banner{background:#b45309;color:#fff;padding:.75rem 1rem;font-weight:600;text-align:center}
main{max-width:28rem;margin:2rem auto;background:#fff;border-radius:.75rem;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{color:#6b7280}dd{margin:0}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0 1rem}
form{display:inline}button{font:inherit;padding:.6rem 1.1rem;border-radius:.5rem;border:1px solid #d1d5db;margin:.25rem .25rem 0 0;cursor:pointer}
button[value=approve]{background:#0070ba;color:#fff;border-color:#0070ba}button[value=decline]{color:#b91c1c}
`;

function layout(title: string, body: string, nonce: string | undefined): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><link rel="icon" href="data:,"><title>${esc(title)} · PayPal emulator</title>
<style${nonce ? ` nonce="${esc(nonce)}"` : ''}>${STYLE}</style></head>
<body><div class="banner" role="alert">PayPal emulator — no real money moves</div>
<main>${body}</main></body></html>`;
}

export function approvalPage(order: EmulatedOrder, basePath: string, nonce: string | undefined): string {
  const unit = order.purchaseUnit;
  const rows: Array<[string, string]> = [['Order', order.id]];
  if (order.brandName) rows.push(['Merchant', order.brandName]);
  if (typeof unit.description === 'string') rows.push(['Description', unit.description]);
  const button = (value: string, text: string) =>
    `<form method="post" action="${esc(`${basePath}/checkoutnow`)}"><input type="hidden" name="token" value="${esc(order.id)}"><button type="submit" name="outcome" value="${value}">${text}</button></form>`;
  return layout(
    'Approve payment',
    `<h1>Approve this payment?</h1>
<p class="amount">${esc(formatAmount(order.amountMinor, order.currency))} ${esc(order.currency)}</p>
<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
<p>This page is SkyPanel's built-in PayPal emulator. Approve to pay, Cancel to go back, or Decline to simulate a payment the bank refuses.</p>
${button('approve', 'Approve')}${button('cancel', 'Cancel')}${button('decline', 'Decline')}`,
    nonce,
  );
}

export function messagePage(title: string, message: string, nonce: string | undefined): string {
  return layout(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`, nonce);
}
