import { Hono, type Context } from 'hono';
import { listSessions, revokeOwnOtherSessions, revokeOwnSession } from '../../../domain/accounts/sessions.ts';
import {
  beginTotpSetup,
  confirmTotpSetup,
  disableTotp,
  pendingTotpSetup,
  remainingRecoveryCodes,
} from '../../../domain/accounts/two-factor.ts';
import { isUuid } from '../../../lib/ids.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

/**
 * Settings → security: the overview (`overview`, /settings/security), two-factor
 * authentication (`twoFactor`, /settings/two-factor) and signed-in sessions (`sessions`,
 * /settings/sessions); portal/index.ts mounts each in its area (the last two only for the
 * account's owner).
 */
export function securityPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const twoFactor = new Hono();
  const signedInSessions = new Hono();
  const opts = { layout: 'portal' as const, title: 'Security' };

  async function securityData(c: Context) {
    const auth = c.get('auth')!;
    const sessions = await listSessions(deps.db, auth.user.id, deps.clock.now());
    const recoveryLeft = auth.user.twoFactorEnabled ? await remainingRecoveryCodes(deps, auth.user.id) : 0;
    return {
      sessions,
      currentSessionId: auth.sessionId,
      twoFactor: auth.user.twoFactorEnabled,
      recoveryLeft,
      values: {},
      errors: {},
    };
  }

  async function setupData(pending: { secret: string; uri: string }) {
    // Rendered on the server as SVG: the secret never goes to a third-party QR service. The
    // QR code library loads on first use (only this page needs it), not at start-up.
    const { default: QRCode } = await import('qrcode');
    const qr = await QRCode.toString(pending.uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return { secret: pending.secret, qr, values: {}, errors: {} };
  }

  app.get('/security', async (c) => view.page(c, 'portal/settings/security', await securityData(c), opts));

  // Starting setup asks for the password (a wrong one: 422 with the security page again).
  twoFactor.post('/', async (c) => {
    if (c.get('auth')!.user.twoFactorEnabled) return redirect(c, '/settings/security');
    const values = await formData(c);
    return submitForm(
      c,
      view,
      { template: 'portal/settings/security', values, data: await securityData(c), options: opts },
      async () => {
        const started = await beginTotpSetup(deps, c.get('auth')!.user.id, values.password ?? '');
        return view.page(c, 'portal/settings/two-factor-setup', await setupData(started), {
          ...opts,
          title: 'Set up two-factor authentication',
        });
      },
    );
  });

  twoFactor.post('/confirmation', async (c) => {
    const values = await formData(c);
    const userId = c.get('auth')!.user.id;
    // Only a setup started with the password can be confirmed; without one, start again.
    const pending = c.get('auth')!.user.twoFactorEnabled ? null : await pendingTotpSetup(deps, userId);
    if (!c.get('auth')!.user.twoFactorEnabled && !pending) return redirect(c, '/settings/security');
    const data = pending ? await setupData(pending) : {};
    return submitForm(
      c,
      view,
      {
        template: 'portal/settings/two-factor-setup',
        values,
        data,
        options: { ...opts, title: 'Set up two-factor authentication' },
      },
      async () => {
        const codes = await confirmTotpSetup(deps, userId, values.code ?? '', c.get('actor') ?? {});
        return view.page(c, 'portal/settings/recovery-codes', { codes }, { ...opts, title: 'Your recovery codes' });
      },
    );
  });

  twoFactor.delete('/', async (c) => {
    const values = await formData(c);
    const data = await securityData(c);
    const region = { id: 'two-factor-disable', partial: 'portal/settings/_two_factor_disable' };
    return submitForm(
      c,
      view,
      { template: 'portal/settings/security', values, data, options: { ...opts, region } },
      async () => {
        await disableTotp(deps, c.get('auth')!.user.id, values.password ?? '', values.code ?? '', c.get('actor') ?? {});
        flash(c, 'Two-factor authentication is off.', 'info');
        return redirect(c, '/settings/security');
      },
    );
  });

  signedInSessions.delete('/:id', async (c) => {
    const id = c.req.param('id');
    if (!isUuid(id) || !(await revokeOwnSession(deps.db, c.get('actor')!, id, deps.clock.now()))) return c.notFound();
    return view.partial(c, 'portal/settings/_sessions', await securityData(c));
  });

  signedInSessions.delete('/', async (c) => {
    await revokeOwnOtherSessions(deps.db, c.get('actor')!, c.get('auth')!.sessionId, deps.clock.now());
    return view.partial(c, 'portal/settings/_sessions', await securityData(c));
  });

  return { overview: app, twoFactor, sessions: signedInSessions };
}
