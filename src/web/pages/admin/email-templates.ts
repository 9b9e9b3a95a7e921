import { Hono, type Context } from 'hono';
import type { AppError } from '../../../lib/errors.ts';
import {
  getEmailTemplate,
  listEmailTemplates,
  previewEmailTemplate,
  previewFrameHtml,
  resetEmailTemplate,
  saveEmailTemplate,
  sendTestEmail,
  templateFromForm,
  type EmailTemplateDetail,
} from '../../../mail/overrides.ts';
import type { RenderedEmail } from '../../../mail/templates.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;
const EDITOR = 'email-editor';

/**
 * /admin/email-templates: every email SkyPanel sends, editable by platform admins (issue 16
 * item 5; src/mail/overrides.ts). The edit page saves (422 with the form and what was typed,
 * naming unknown or malformed placeholders), previews with sample data (htmx swaps the
 * `email-editor` region, the form and the preview, so the form shows what is wrong now; without
 * JavaScript the whole page comes back with it), resets to the
 * default and sends a test to the signed-in admin through the normal queue. The HTML preview is
 * shown in a sandboxed iframe (srcdoc, no scripts) and as escaped source.
 */
export function adminEmailTemplatePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  const edit = (
    c: Context,
    template: EmailTemplateDetail,
    extra: {
      values?: Record<string, string>;
      errors?: Record<string, string>;
      message?: string | null;
      preview?: (RenderedEmail & { frame: string }) | null;
      status?: 200 | 422;
    } = {},
  ) =>
    view.page(
      c,
      'admin/email-templates/edit',
      {
        template,
        values: extra.values ?? template.current,
        errors: extra.errors ?? {},
        message: extra.message ?? null,
        preview: extra.preview ?? null,
      },
      {
        layout,
        title: `Email: ${template.name}`,
        status: extra.status ?? 200,
        region: { id: EDITOR, partial: 'admin/email-templates/_editor' },
      },
    );

  app.get('/', async (c) => {
    const templates = await listEmailTemplates(deps, actorOf(c));
    return view.page(c, 'admin/email-templates/index', { templates }, { layout, title: 'Email templates' });
  });

  app.get('/:name', async (c) => {
    const template = await getEmailTemplate(deps, actorOf(c), c.req.param('name'));
    return edit(c, template);
  });

  app.post('/:name', async (c) => {
    const actor = actorOf(c);
    const template = await getEmailTemplate(deps, actor, c.req.param('name'));
    const values = await formData(c);
    return orFail(
      async () => {
        await saveEmailTemplate(deps, actor, template.name, templateFromForm(values));
        flash(c, `The “${template.name}” email is saved: the next one sent uses it.`);
        return redirect(c, `/admin/email-templates/${template.name}`);
      },
      (err: AppError) => edit(c, template, { values, errors: err.fields ?? {}, message: err.message, status: 422 }),
    );
  });

  app.post('/:name/preview', async (c) => {
    const actor = actorOf(c);
    const template = await getEmailTemplate(deps, actor, c.req.param('name'));
    const values = await formData(c);
    return orFail(
      async () => {
        const preview = await previewEmailTemplate(deps, actor, template.name, templateFromForm(values));
        return edit(c, template, { values, preview: { ...preview, frame: previewFrameHtml(preview.html) } });
      },
      (err: AppError) => edit(c, template, { values, errors: err.fields ?? {}, message: err.message, status: 422 }),
    );
  });

  app.post('/:name/reset', async (c) => {
    const actor = actorOf(c);
    const template = await getEmailTemplate(deps, actor, c.req.param('name'));
    const reset = await resetEmailTemplate(deps, actor, template.name);
    flash(c, reset ? `The “${template.name}” email is back to its default.` : 'It already was the default.');
    return redirect(c, `/admin/email-templates/${template.name}`);
  });

  app.post('/:name/test', async (c) => {
    const actor = actorOf(c);
    const template = await getEmailTemplate(deps, actor, c.req.param('name'));
    const sent = await sendTestEmail(deps, actor, template.name);
    flash(c, `A test “${template.name}” email with sample data is queued to ${sent.to}.`);
    return redirect(c, `/admin/email-templates/${template.name}`);
  });

  return app;
}
