import type { Context, Hono } from 'hono';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer, type RenderOptions } from '../../../render.ts';

type Values = Record<string, string>;

/** A kind's form page: the template, what it shows besides the form, and the page options. */
export interface KindForm {
  template: string;
  data: Record<string, unknown>;
  options: RenderOptions;
}

/** The flash texts of a kind's changes. */
export interface KindMessages<T, S> {
  created: (saved: S) => string;
  saved: (saved: S) => string;
  deleted: (x: T) => string;
  published?: (saved: S) => string;
}

/**
 * One kind of content edited on the admin's content pages (an FAQ heading, a docs article, a
 * page): its form, how a record reads into form values, and the domain functions that change it.
 * `T` is the record as read (`get`), `S` as a change returns it.
 */
export interface ContentKind<T extends { id: string }, S extends { id: string } = T> {
  /** Where the kind's routes hang: `${path}/new`, `${path}/:id`, … (`''` for the app's root). */
  path: string;
  /** Where a save or a delete goes back to. */
  list: string;
  form: (c: Context, x: T | null) => KindForm | Promise<KindForm>;
  /** The values a new record's form starts with. */
  blank: (c: Context) => Values;
  values: (x: T) => Values;
  get: (c: Context, id: string) => Promise<T>;
  create: (c: Context, values: Values) => Promise<S>;
  /** Where a new record goes after it is added (the list unless given). */
  createdTo?: (saved: S) => string;
  update: (c: Context, x: T, values: Values) => Promise<S>;
  /**
   * `checked`: the delete is a form action on the record's form (a refusal shows it again with
   * the message, 422); `direct`: the domain function finds, deletes and returns the record.
   */
  remove: { checked: (c: Context, x: T) => Promise<unknown> } | { direct: (c: Context, id: string) => Promise<T> };
  publish?: (c: Context, id: string, published: boolean) => Promise<S>;
  messages: KindMessages<T, S>;
}

/** The flash texts of a kind with a name: `The heading “…” is added.` */
export function namedMessages<T extends { name: string }>(noun: string): KindMessages<T, T> {
  return {
    created: (x) => `The ${noun} “${x.name}” is added.`,
    saved: (x) => `The ${noun} “${x.name}” is saved.`,
    deleted: (x) => `The ${noun} “${x.name}” is deleted.`,
  };
}

/** The flash texts of a kind that is published or a draft, named by `title`. */
export function draftMessages<T extends { published: boolean }, S extends { published: boolean } = T>(
  title: (x: T | S) => string,
): Required<KindMessages<T, S>> {
  return {
    created: (x) => `“${title(x)}” is ${x.published ? 'published' : 'saved as a draft'}.`,
    saved: (x) => `“${title(x)}” is saved${x.published ? '' : ' (draft)'}.`,
    deleted: (x) => `“${title(x)}” is deleted.`,
    published: (x) => `“${title(x)}” is ${x.published ? 'published' : 'withdrawn (draft)'}.`,
  };
}

/**
 * Mounts a kind's routes on `app`: GET `${path}/new`, POST `${path}` (create), GET and POST
 * `${path}/:id` (edit, update), POST `${path}/:id/publish` when the kind has one, and POST
 * `${path}/:id/delete`. Bad input answers 422 with the form and what was typed (`submitForm`).
 */
export function mountContentKind<T extends { id: string }, S extends { id: string }>(
  app: Hono,
  view: Renderer,
  kind: ContentKind<T, S>,
): void {
  const { path, list, messages } = kind;
  const show = (c: Context, f: KindForm, values: Values) =>
    view.page(c, f.template, { ...f.data, values, errors: {}, message: null }, f.options);

  app.get(`${path}/new`, async (c) => show(c, await kind.form(c, null), kind.blank(c)));

  app.post(path || '/', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...(await kind.form(c, null)), values }, async () => {
      const saved = await kind.create(c, values);
      flash(c, messages.created(saved));
      return redirect(c, kind.createdTo ? kind.createdTo(saved) : list);
    });
  });

  app.get(`${path}/:id`, async (c) => {
    const x = await kind.get(c, c.req.param('id'));
    return show(c, await kind.form(c, x), kind.values(x));
  });

  app.post(`${path}/:id`, async (c) => {
    const x = await kind.get(c, c.req.param('id'));
    const values = await formData(c);
    return submitForm(c, view, { ...(await kind.form(c, x)), values }, async () => {
      const saved = await kind.update(c, x, values);
      flash(c, messages.saved(saved));
      return redirect(c, list);
    });
  });

  const { publish } = kind;
  if (publish) {
    app.post(`${path}/:id/publish`, async (c) => {
      const values = await formData(c);
      const saved = await publish(c, c.req.param('id'), values.published === 'true');
      if (messages.published) flash(c, messages.published(saved));
      return redirect(c, list);
    });
  }

  const { remove } = kind;
  app.post(`${path}/:id/delete`, async (c) => {
    if ('direct' in remove) {
      const x = await remove.direct(c, c.req.param('id'));
      flash(c, messages.deleted(x));
      return redirect(c, list);
    }
    const x = await kind.get(c, c.req.param('id'));
    return submitForm(c, view, { ...(await kind.form(c, x)), values: kind.values(x) }, async () => {
      await remove.checked(c, x);
      flash(c, messages.deleted(x));
      return redirect(c, list);
    });
  });
}
