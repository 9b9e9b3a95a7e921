import { Hono } from 'hono';
import { changeEmail, changePassword, getProfile, timezones, updateProfile } from '../../../domain/accounts/profile.ts';
import {
  getNotificationPreferences,
  preferencesFromForm,
  setNotificationPreferences,
} from '../../../domain/notifications/preferences.ts';
import { THEMES } from '../../../domain/settings/themes.ts';
import { getUserTheme, PLATFORM_DEFAULT, setUserTheme } from '../../../domain/settings/user-theme.ts';
import { getPlatformSettings } from '../../../domain/settings/platform.ts';
import { ValidationError } from '../../../lib/errors.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

/**
 * Settings → profile (`profile`, at /settings), email address (`email`, /settings/email) and
 * password (`password`, /settings/password) and email notifications (`notifications`,
 * /settings/notifications), and the colour theme (`profile` too, /settings/appearance); portal/index.ts mounts each in its area (the email address,
 * password and notifications only for the account's owner). API keys live in their own file.
 */
export function settingsPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const email = new Hono();
  const password = new Hono();
  const notifications = new Hono();
  const zones = timezones();

  app.get('/', (c) => c.redirect('/settings/profile', 303));

  app.get('/profile', async (c) => {
    const p = await getProfile(deps, c.get('auth')!.user.id);
    return view.page(
      c,
      'portal/settings/profile',
      {
        profile: p,
        zones,
        values: { name: p.name, phone: p.phone ?? '', timezone: p.timezone },
        errors: {},
        emailValues: {},
        emailErrors: {},
      },
      { layout: 'portal', title: 'Profile' },
    );
  });

  app.post('/profile', async (c) => {
    const values = await formData(c);
    const profile = await getProfile(deps, c.get('auth')!.user.id);
    return submitForm(
      c,
      view,
      {
        template: 'portal/settings/profile',
        values,
        data: { profile, zones, emailValues: {}, emailErrors: {} },
        options: { layout: 'portal', title: 'Profile' },
      },
      async () => {
        await updateProfile(deps, c.get('auth')!.user.id, values);
        flash(c, 'Your profile is saved.');
        return redirect(c, '/settings/profile');
      },
    );
  });

  email.post('/', async (c) => {
    const values = await formData(c);
    const profile = await getProfile(deps, c.get('auth')!.user.id);
    const data = { profile, zones, emailValues: values, emailErrors: {} as Record<string, string> };
    const current = { name: profile.name, phone: profile.phone ?? '', timezone: profile.timezone };
    try {
      await changeEmail(deps, c.get('auth')!.user.id, values, c.get('actor') ?? {});
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return view.page(
        c,
        'portal/settings/profile',
        { ...data, values: current, errors: {}, emailErrors: err.fields ?? {} },
        { layout: 'portal', title: 'Profile', status: 422 },
      );
    }
    flash(c, 'Your email address is changed. Confirm it with the link we just sent there.');
    return redirect(c, '/settings/profile');
  });

  password.get('/', (c) =>
    view.page(c, 'portal/settings/password', { values: {}, errors: {} }, { layout: 'portal', title: 'Password' }),
  );

  password.post('/', async (c) => {
    const values = await formData(c);
    return submitForm(
      c,
      view,
      { template: 'portal/settings/password', values, options: { layout: 'portal', title: 'Password' } },
      async () => {
        await changePassword(deps, c.get('auth')!.user.id, c.get('auth')!.sessionId, values, c.get('actor') ?? {});
        flash(c, 'Your password is changed, your other sessions are signed out and your API keys are revoked.');
        return redirect(c, '/settings/password');
      },
    );
  });

  // Settings → Appearance: the colour preset (domain/settings/themes.ts) or the platform default.
  const appearance = async () => {
    const { defaultTheme } = await getPlatformSettings(deps.db, { cache: deps.cache });
    return { themes: THEMES, platformDefault: THEMES.find((t) => t.id === defaultTheme)! };
  };
  const appearanceOptions = { layout: 'portal', title: 'Appearance' } as const;

  app.get('/appearance', async (c) => {
    const theme = await getUserTheme(deps.db, c.get('auth')!.user.id);
    return view.page(
      c,
      'portal/settings/appearance',
      { ...(await appearance()), values: { theme: theme ?? PLATFORM_DEFAULT }, errors: {} },
      appearanceOptions,
    );
  });

  app.post('/appearance', async (c) => {
    const values = await formData(c);
    return submitForm(
      c,
      view,
      { template: 'portal/settings/appearance', values, data: await appearance(), options: appearanceOptions },
      async () => {
        await setUserTheme(deps.db, c.get('auth')!.user.id, values.theme);
        flash(c, 'Your colour theme is saved.');
        return redirect(c, '/settings/appearance');
      },
    );
  });

  notifications.get('/', async (c) => {
    const preferences = await getNotificationPreferences(deps.db, c.get('auth')!.user.id);
    return view.page(c, 'portal/settings/notifications', { preferences }, { layout: 'portal', title: 'Notifications' });
  });

  notifications.post('/', async (c) => {
    const userId = c.get('auth')!.user.id;
    const values = await formData(c);
    const preferences = await getNotificationPreferences(deps.db, userId);
    return submitForm(
      c,
      view,
      {
        template: 'portal/settings/notifications',
        values,
        data: { preferences },
        options: { layout: 'portal', title: 'Notifications' },
      },
      async () => {
        await setNotificationPreferences(deps, userId, preferencesFromForm(values));
        flash(c, 'Your notification preferences are saved.');
        return redirect(c, '/settings/notifications');
      },
    );
  });

  return { profile: app, email, password, notifications };
}
