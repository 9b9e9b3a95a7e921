import { Hono, type Context } from 'hono';
import { requestPasswordReset, resetPassword } from '../../../domain/accounts/recovery.ts';
import { register } from '../../../domain/accounts/register.ts';
import { createSession, revokeSession } from '../../../domain/accounts/sessions.ts';
import { peekUserToken } from '../../../domain/accounts/user-tokens.ts';
import { verifyEmail } from '../../../domain/accounts/profile.ts';
import { getPlatformSettings, hasPendingInvitation, invitedEmail } from '../../../domain/settings/platform.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { localPath } from '../../local-path.ts';
import { originOf } from '../../middleware/actor.ts';
import { rateLimit } from '../../middleware/rate-limit.ts';
import { clearSessionCookie, setSessionCookie } from '../../middleware/session.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

/** Registration, forgotten password, password reset and email verification links. */
export function accountPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const strict = (bucket: string) =>
    rateLimit({ db: deps.db, config: deps.config, clock: deps.clock, limiter: deps.rateLimiter, bucket });
  const origin = originOf;

  const registrationOpen = async () => (await getPlatformSettings(deps.db, { cache: deps.cache })).registrationEnabled;
  /** The page saying registration is closed (no form): 200 when asked for, 403 when a sign-up was refused. */
  const closed = (c: Context, status?: 403) => {
    // htmx swaps no 403: the browser is sent to the page that says why.
    if (status && c.req.header('hx-request')) c.header('HX-Redirect', '/register');
    return view.page(c, 'public/register-closed', {}, { title: 'Registration is closed', status });
  };
  /** An invitation link the visitor is on its way to (`next=/invitations/<token>`, from the sign-in page). */
  const invitationToken = (next: string | null) => (next ? /^\/invitations\/([^/?#]+)$/.exec(next)?.[1] : undefined);

  // Registration closed (platform settings): the page says so, without a form, except to someone
  // coming from an invitation link (the form then, for the address invited), and a sign-up is
  // refused (403) unless its address has a pending invitation: invitees still get accounts.
  app.get('/register', async (c) => {
    if (c.get('auth')) return c.redirect('/dashboard', 303);
    const next = localPath(c.req.query('next'));
    const values: Record<string, string> = {};
    let invited: string | null = null;
    if (!(await registrationOpen())) {
      const token = invitationToken(next);
      invited = token ? await invitedEmail(deps.db, safeDecode(token), deps.clock.now()) : null;
      if (!invited) return closed(c);
      values.email = invited;
    }
    return view.page(c, 'public/register', { values, errors: {}, next, invited }, { title: 'Create your account' });
  });

  app.post('/register', strict('register'), async (c) => {
    const values = await formData(c);
    const next = localPath(values.next);
    if (!(await registrationOpen()) && !(await hasPendingInvitation(deps.db, values.email ?? '', deps.clock.now())))
      return closed(c, 403);
    return submitForm(
      c,
      view,
      {
        template: 'public/register',
        values,
        data: { next },
        options: { title: 'Create your account', region: { id: 'register-form', partial: 'public/_register_form' } },
      },
      async () => {
        const { user } = await register(deps, values, { origin: origin(c) });
        // Held by fraud screening: no session; the account waits for staff.
        if (user.status === 'review') return redirect(c, '/register/review');
        const auth = c.get('auth');
        if (auth) await revokeSession(deps.db, auth.sessionId);
        const session = await createSession(deps.db, deps.config, user.id, 'full', origin(c), deps.clock.now());
        setSessionCookie(c, deps.config, session.token, session.expiresAt);
        flash(c, `Welcome to ${deps.config.BRAND_NAME}! Your account and organization are ready.`);
        return redirect(c, next ?? '/dashboard');
      },
    );
  });

  app.get('/register/review', (c) =>
    view.page(c, 'public/register-review', {}, { title: 'Your account is being reviewed' }),
  );

  app.get('/forgot-password', (c) =>
    view.page(c, 'public/forgot-password', { values: {}, errors: {}, sent: false }, { title: 'Reset your password' }),
  );

  app.post('/forgot-password', strict('password-reset'), async (c) => {
    const values = await formData(c);
    return submitForm(
      c,
      view,
      { template: 'public/forgot-password', values, data: { sent: false }, options: { title: 'Reset your password' } },
      async () => {
        await requestPasswordReset(deps, values);
        // Same answer whether or not the address has an account.
        return view.page(
          c,
          'public/forgot-password',
          { values: {}, errors: {}, sent: true },
          { title: 'Check your email' },
        );
      },
    );
  });

  app.get('/reset-password/:token', async (c) => {
    const token = c.req.param('token');
    const valid = await peekUserToken(deps.db, token, 'reset_password', deps.clock.now());
    c.header('Referrer-Policy', 'no-referrer');
    return view.page(
      c,
      'public/reset-password',
      { token, valid, values: {}, errors: {} },
      { title: 'Choose a new password', status: valid ? 200 : 404 },
    );
  });

  app.post('/reset-password/:token', strict('password-reset'), async (c) => {
    const token = c.req.param('token');
    const values = await formData(c);
    c.header('Referrer-Policy', 'no-referrer');
    return submitForm(
      c,
      view,
      {
        template: 'public/reset-password',
        values,
        data: { token, valid: true },
        options: { title: 'Choose a new password' },
      },
      async () => {
        await resetPassword(deps, { token, password: values.password }, { origin: origin(c) });
        clearSessionCookie(c, deps.config);
        flash(c, 'Your password is changed and your API keys are revoked. Sign in with your new password.');
        return redirect(c, '/login');
      },
    );
  });

  app.get('/verify-email/:token', async (c) => {
    const ok = await verifyEmail(deps, c.req.param('token'));
    c.header('Referrer-Policy', 'no-referrer');
    if (ok) {
      flash(c, 'Thank you, your email address is confirmed.');
      return c.redirect(c.get('auth') ? '/dashboard' : '/login', 303);
    }
    return view.page(c, 'public/verify-failed', {}, { title: 'Link not valid', status: 404 });
  });

  return app;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
