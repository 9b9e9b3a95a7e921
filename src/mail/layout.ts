import { escapeHtml } from './placeholders.ts';

/**
 * The fixed frame around every email's HTML body (not editable: the body and subject are): the
 * brand as a header and a footer saying why the reader gets it (`footer`, plain text; by default
 * their account). `body` is already rendered HTML; brand, subject and footer are escaped.
 */
export function emailLayout(input: { brand: string; subject: string; body: string; footer?: string }): string {
  const brand = escapeHtml(input.brand);
  const footer =
    input.footer === undefined ? `You receive this email because of your ${brand} account.` : escapeHtml(input.footer);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(input.subject)}</title></head>
<body style="margin:0;padding:24px;background:#f1f5f9;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#0f172a">
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px">
    <tr><td style="padding:24px 28px;border-bottom:1px solid #e2e8f0;font-weight:700;font-size:18px;color:#0369a1">${brand}</td></tr>
    <tr><td style="padding:24px 28px;font-size:15px;line-height:1.6">${input.body}</td></tr>
    <tr><td style="padding:16px 28px;border-top:1px solid #e2e8f0;font-size:12px;color:#64748b">${footer}</td></tr>
  </table>
</body>
</html>
`;
}
