import { Hono, type Context } from 'hono';
import { userOrganizations } from '../../../domain/accounts/me.ts';
import { dayIn } from '../../../domain/activity/dates.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../../../domain/api-keys/keys.ts';
import { PERMISSIONS } from '../../../domain/access/permissions.ts';
import { ValidationError } from '../../../lib/errors.ts';
import type { AppDeps } from '../../context.ts';
import { formData, formList } from '../../forms.ts';
import type { Renderer } from '../../render.ts';

interface KeyForm {
  name?: string;
  organization_id?: string;
  permissions?: string[];
  expires_at?: string;
}

/**
 * Settings → API keys (/settings/api-keys): the signed-in user's own keys (any organization they belong to).
 * No organization permission is needed: a key can only carry permissions its creator holds
 * in its organization, and the domain refuses keys and impersonators (403).
 */
export function apiKeyPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = { layout: 'portal' as const, title: 'API keys' };
  // Picking another organization re-renders just the form, with that organization's permissions.
  const region = { id: 'api-key-form', partial: 'portal/settings/_api_key_form' };

  async function pageData(c: Context, values: KeyForm, errors: Record<string, string> = {}) {
    const actor = c.get('actor')!;
    const [keys, orgs] = await Promise.all([listApiKeys(deps.db, actor), userOrganizations(deps.db, actor.userId)]);
    const selected =
      orgs.find((o) => o.id === values.organization_id) ??
      orgs.find((o) => o.id === actor.organizationId) ??
      orgs[0] ??
      null;
    const held = new Set(selected?.permissions ?? []);
    const timeZone = c.get('auth')!.user.timezone;
    return {
      keys,
      organizations: orgs,
      selected,
      errors,
      now: deps.clock.now(),
      timeZone,
      available: PERMISSIONS.filter((p) => held.has(p)),
      today: dayIn(deps.clock.now(), timeZone),
      values: {
        name: values.name ?? '',
        expires_at: values.expires_at ?? '',
        permissions: values.permissions ?? [],
        organization_id: selected?.id ?? '',
      },
    };
  }

  app.get('/', async (c) => {
    const q = c.req.query();
    return view.page(
      c,
      'portal/settings/api-keys',
      await pageData(c, { ...q, permissions: c.req.queries('permissions') ?? [] }),
      { ...opts, region },
    );
  });

  app.post('/', async (c) => {
    const values: KeyForm = { ...(await formData(c)), permissions: await formList(c, 'permissions') };
    const input = { ...values, expires_at: values.expires_at || undefined };
    try {
      const { key, apiKey } = await createApiKey(deps, c.get('actor')!, input, {
        timeZone: c.get('auth')!.user.timezone,
      });
      return view.page(
        c,
        'portal/settings/api-key-created',
        { key, apiKey, apiUrl: `${deps.config.publicUrl}/api/v1` },
        { ...opts, title: 'Your new API key', status: 201 },
      );
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return view.page(
        c,
        'portal/settings/api-keys',
        { ...(await pageData(c, values, err.fields)), message: err.message },
        { ...opts, status: 422 },
      );
    }
  });

  app.delete('/:id', async (c) => {
    await revokeApiKey(deps, c.get('actor')!, c.req.param('id'));
    return view.partial(c, 'portal/settings/_api_keys', {
      keys: await listApiKeys(deps.db, c.get('actor')!),
      now: deps.clock.now(),
    });
  });

  return app;
}
