import { Hono, type Context } from 'hono';
import type { Actor } from '../../../../domain/access/actor.ts';
import {
  pickable,
  providerChoices,
  saveApp,
  saveCategory,
  saveImage,
  saveRegion,
} from '../../../../domain/catalogue/choices.ts';
import { getProvider } from '../../../../domain/catalogue/providers.ts';
import type { Deps } from '../../../../domain/deps.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, formList, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

const layout = 'admin' as const;

type Save = (deps: Deps, actor: Actor, input: { providerId: string; values: unknown }) => Promise<void>;

/** Each list staff keep of a provider's catalogue: its path, title, save function, and what a saved entry says. */
const KINDS: Array<{ path: string; title: string; save: Save; saved: string; list?: string }> = [
  { path: 'regions', title: 'Regions', save: saveRegion, saved: 'Region saved.' },
  { path: 'categories', title: 'Categories', save: saveCategory, saved: 'Category saved.' },
  { path: 'images', title: 'Images', save: saveImage, saved: 'Image saved.' },
  { path: 'apps', title: 'Apps', save: saveApp, saved: 'App saved.', list: 'fields' },
];

/**
 * What customers may pick from one provider's cached catalogue, under /admin/providers/:id:
 * regions (label, country), categories (names for plan classes), images, apps (scripts and
 * the fields customers fill). Each page lists the entries and a form that adds one or, given
 * `?edit=<id>`, changes one; saving (POST) inserts or updates by that id.
 */
export function choicePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  for (const kind of KINDS) {
    const template = `admin/catalogue/${kind.path}`;
    const region = { id: `${kind.path}-form`, partial: `admin/catalogue/_${kind.path}_form` };
    const data = async (c: Context) => {
      const provider = await getProvider(deps.db, c.get('actor')!, c.req.param('id') ?? '');
      const [choices, cache] = await Promise.all([
        providerChoices(deps.db, c.get('actor')!, provider.id),
        pickable(deps.db, c.get('actor')!, provider.id),
      ]);
      return { provider, choices, cache };
    };
    const title = (d: { provider: { name: string } }) => `${kind.title}: ${d.provider.name}`;

    app.get(`/${kind.path}`, async (c) => {
      const d = await data(c);
      const values = editValues(kind.path, d.choices, d.cache, c.req.query('edit') ?? '');
      return view.page(c, template, { ...d, values, errors: {}, message: null }, { layout, title: title(d), region });
    });

    app.post(`/${kind.path}`, async (c) => {
      const values: Record<string, unknown> = await formData(c);
      if (kind.list) values[kind.list] = await formList(c, kind.list);
      const d = await data(c);
      const options = { layout, title: title(d), region };
      const form = { template, values: values as Record<string, string>, data: d, options };
      return submitForm(c, view, form, async () => {
        await kind.save(deps, c.get('actor')!, { providerId: d.provider.id, values });
        flash(c, kind.saved);
        return redirect(c, `/admin/providers/${d.provider.id}/${kind.path}`);
      });
    });
  }
  return app;
}

/** The form's values for `?edit=<id>` (an entry already saved), or a blank form. */
function editValues(
  path: string,
  choices: Awaited<ReturnType<typeof providerChoices>>,
  cache: Awaited<ReturnType<typeof pickable>>,
  id: string,
): Record<string, unknown> {
  const on = (b: boolean) => (b ? 'on' : '');
  if (path === 'regions') {
    const r = choices.regions.find((x) => x.id === id);
    return r
      ? {
          region_id: r.id,
          label: r.label,
          country: r.country,
          display_order: String(r.displayOrder),
          active: on(r.active),
        }
      : {
          region_id: id,
          label: cached(cache.regions, id)?.label ?? '',
          country: cached(cache.regions, id)?.country ?? '',
          active: 'on',
          display_order: '0',
        };
  }
  if (path === 'categories') {
    const k = choices.categories.find((x) => x.providerClass === id);
    return k
      ? { provider_class: k.providerClass, name: k.name, display_order: String(k.displayOrder) }
      : { provider_class: id, display_order: '0' };
  }
  if (path === 'images') {
    const i = choices.images.find((x) => x.id === id);
    return i
      ? { image_id: i.id, label: i.label, display_order: String(i.displayOrder), active: on(i.active) }
      : { image_id: id, label: cached(cache.images, id)?.label ?? '', active: 'on', display_order: '0' };
  }
  const a = choices.apps.find((x) => x.scriptId === id);
  return a
    ? {
        script_id: a.scriptId,
        label: a.label,
        description: a.description,
        fields: a.fields,
        display_order: String(a.displayOrder),
        active: on(a.active),
      }
    : {
        script_id: id,
        label: cached(cache.scripts, id)?.label ?? '',
        description: cached(cache.scripts, id)?.description.slice(0, 500) ?? '',
        // Fields without a default must be customer-fillable (saveApp refuses otherwise).
        fields:
          cached(cache.scripts, id)
            ?.fields.filter((f) => f.default == null)
            .map((f) => f.name) ?? [],
        active: 'on',
        display_order: '0',
      };
}

const cached = <T extends { id: string }>(list: T[], id: string) => list.find((x) => x.id === id);
