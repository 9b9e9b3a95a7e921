import { Hono } from 'hono';
import { createSession, revokeSession } from '../../../domain/accounts/sessions.ts';
import { authenticatePassword } from '../../../domain/accounts/login.ts';
import { completeSignIn, signOut } from '../../../domain/accounts/sign-in.ts';
import { verifySecondFactor } from '../../../domain/accounts/two-factor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { localPath } from '../../local-path.ts';
import { originOf } from '../../middleware/actor.ts';
import { rateLimit } from '../../middleware/rate-limit.ts';
import { clearSessionCookie, setSessionCookie } from '../../middleware/session.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

/** Sign in (password, then the second factor when on) and sign out. */
export function authPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const strict = (bucket: string) =>
    rateLimit({ db: deps.db, config: deps.config, clock: deps.clock, limiter: deps.rateLimiter, bucket });
  const loginForm = { id: 'login-form', partial: 'public/_login_form' };
  const origin = originOf;

  app.get('/login', (c) => {
    if (c.get('auth')) return c.redirect('/dashboard', 303);
    return view.page(
      c,
      'public/login',
      { values: {}, errors: {}, next: localPath(c.req.query('next')) },
      { title: 'Sign in' },
    );
  });

  app.post('/login', strict('login'), async (c) => {
    const values = await formData(c);
    const next = localPath(values.next);
    return submitForm(
      c,
      view,
      { template: 'public/login', values, data: { next }, options: { title: 'Sign in', region: loginForm } },
      async () => {
        const user = await authenticatePassword(deps, origin(c), values);
        const [auth, pendingMfa] = [c.get('auth'), c.get('pendingMfa')];
        if (auth) await revokeSession(deps.db, auth.sessionId);
        if (pendingMfa) await revokeSession(deps.db, pendingMfa.sessionId);
        // With two-factor on, the password alone buys a half-signed-in session; the sign-in is recorded after the code.
        const session = user.twoFactorEnabled
          ? await createSession(deps.db, deps.config, user.id, 'mfa', origin(c), deps.clock.now())
          : await completeSignIn(deps, user, origin(c), 'none');
        setSessionCookie(c, deps.config, session.token, session.expiresAt);
        if (user.twoFactorEnabled)
          return redirect(c, `/login/two-factor${next ? `?next=${encodeURIComponent(next)}` : ''}`);
        return redirect(c, next ?? (user.isAdmin ? '/admin' : '/dashboard'));
      },
    );
  });

  app.get('/login/two-factor', (c) => {
    if (!c.get('pendingMfa')) return c.redirect('/login', 303);
    return view.page(
      c,
      'public/two-factor',
      { values: {}, errors: {}, next: localPath(c.req.query('next')) },
      { title: 'Two-factor authentication' },
    );
  });

  app.post('/login/two-factor', strict('two-factor'), async (c) => {
    const pending = c.get('pendingMfa');
    if (!pending) return redirect(c, '/login');
    const values = await formData(c);
    const next = localPath(values.next);
    return submitForm(
      c,
      view,
      { template: 'public/two-factor', values, data: { next }, options: { title: 'Two-factor authentication' } },
      async () => {
        const used = await verifySecondFactor(deps, pending.user.id, values.code ?? '', { origin: origin(c) });
        // Privilege changes: the half-signed-in token is discarded and a new one minted.
        await revokeSession(deps.db, pending.sessionId);
        const session = await completeSignIn(
          deps,
          pending.user,
          origin(c),
          used === 'recovery' ? 'recovery_code' : 'totp',
        );
        setSessionCookie(c, deps.config, session.token, session.expiresAt);
        if (used === 'recovery') flash(c, 'You signed in with a recovery code. It cannot be used again.', 'info');
        return redirect(c, next ?? (pending.user.isAdmin ? '/admin' : '/dashboard'));
      },
    );
  });

  app.post('/logout', async (c) => {
    // Only a full session's end is a sign-out worth recording; a half-signed-in one just goes.
    const [auth, pendingMfa] = [c.get('auth'), c.get('pendingMfa')];
    if (auth) await signOut(deps.db, auth, origin(c), deps.clock.now());
    else if (pendingMfa) await revokeSession(deps.db, pendingMfa.sessionId);
    clearSessionCookie(c, deps.config);
    flash(c, 'You are signed out.', 'info');
    return redirect(c, '/login');
  });

  return app;
}
