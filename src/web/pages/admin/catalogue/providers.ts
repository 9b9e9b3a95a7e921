import { Hono, type Context } from 'hono';
import { getProvider, listProviders, addProvider, updateProvider } from '../../../../domain/catalogue/providers.ts';
import { validateProvider } from '../../../../domain/catalogue/health.ts';
import { refreshCatalogueNow } from '../../../../domain/catalogue/refresh.ts';
import { providerChoices } from '../../../../domain/catalogue/choices.ts';
import { cacheSummary } from '../../../../domain/catalogue/cache.ts';
import { CloudError } from '../../../../providers/cloud.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { choicePages } from './choices.ts';

const layout = 'admin' as const;
const formRegion = { id: 'provider-form', partial: 'admin/catalogue/_provider_form' };

/**
 * Server providers for staff, mounted at /admin/providers: the list, add, one provider (edit,
 * "validate now", "refresh now", health), and what customers may pick from its catalogue
 * (choices.ts). The token is never put on a page: the form says only whether one is set.
 */
export function providerPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const providers = await listProviders(deps.db, c.get('actor')!);
    return view.page(c, 'admin/catalogue/providers', { providers }, { layout, title: 'Server providers' });
  });

  const blank = { name: '', kind: 'linode', token: '', base_url: '', active: 'on', display_order: '0' };
  app.get('/new', (c) =>
    view.page(
      c,
      'admin/catalogue/provider-new',
      { values: blank, errors: {}, message: null, provider: null },
      { layout, title: 'Add a server provider', region: formRegion },
    ),
  );

  app.post('/', async (c) => {
    const values = await formData(c);
    const options = { layout, title: 'Add a server provider', region: formRegion };
    const form = { template: 'admin/catalogue/provider-new', values, data: { provider: null }, options };
    return submitForm(c, view, form, async () => {
      const provider = await addProvider(deps, c.get('actor')!, values);
      flash(c, `${provider.name} added. Validate it, then refresh its catalogue.`);
      return redirect(c, `/admin/providers/${provider.id}`);
    });
  });

  const showData = async (c: Context) => {
    const provider = await getProvider(deps.db, c.get('actor')!, c.req.param('id') ?? '');
    const choices = await providerChoices(deps.db, c.get('actor')!, provider.id);
    const counts = await cacheSummary(deps.db, provider.id);
    return { provider, choices, counts };
  };
  const formValues = (p: Awaited<ReturnType<typeof getProvider>>) => ({
    name: p.name,
    base_url: p.baseUrl ?? '',
    active: p.active ? 'on' : '',
    display_order: String(p.displayOrder),
    token: '',
  });

  app.get('/:id', async (c) => {
    const data = await showData(c);
    return view.page(
      c,
      'admin/catalogue/provider',
      { ...data, values: formValues(data.provider), errors: {}, message: null },
      { layout, title: data.provider.name, region: formRegion },
    );
  });

  app.patch('/:id', async (c) => {
    const values = await formData(c);
    const data = await showData(c);
    const options = { layout, title: data.provider.name, region: formRegion };
    return submitForm(c, view, { template: 'admin/catalogue/provider', values, data, options }, async () => {
      await updateProvider(deps, c.get('actor')!, { providerId: data.provider.id, values });
      flash(c, 'Provider saved.');
      return redirect(c, `/admin/providers/${data.provider.id}`);
    });
  });

  // "Validate now" and "refresh now" are resources of the provider: a validation, a refresh.
  app.post('/:id/validations', async (c) => {
    const p = await validateProvider(deps, c.get('actor')!, c.req.param('id'));
    if (p.health === 'ok') flash(c, `The credentials work (account ${p.accountLabel ?? 'unnamed'}).`);
    else flash(c, `Validation failed: ${p.healthMessage ?? 'unknown error'}`, 'error');
    return redirect(c, `/admin/providers/${p.id}`);
  });

  app.post('/:id/refreshes', async (c) => {
    const id = c.req.param('id');
    try {
      const s = await refreshCatalogueNow(deps, c.get('actor')!, id);
      flash(
        c,
        `Catalogue refreshed: ${s.types} plans, ${s.regions} regions, ${s.images} images, ${s.scripts} scripts${s.removed ? `; ${s.removed} entries the provider no longer lists removed` : ''}.`,
      );
    } catch (err) {
      if (!(err instanceof CloudError)) throw err;
      flash(c, `The catalogue could not be read: ${err.message}`, 'error');
    }
    return redirect(c, `/admin/providers/${id}`);
  });

  app.route('/:id', choicePages(deps, view));
  return app;
}
