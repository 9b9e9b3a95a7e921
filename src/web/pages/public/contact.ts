import { Hono, type Context } from 'hono';
import {
  HONEYPOT,
  MAX_MESSAGE,
  MAX_NAME,
  MAX_SUBJECT,
  submitContactMessage,
} from '../../../domain/contact/messages.ts';
import { listCategories, listMethods } from '../../../domain/contact/settings.ts';
import { getSiteSettings } from '../../../domain/settings/site.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { redirect, type Renderer } from '../../render.ts';

const TITLE = 'Contact us';
const DESCRIPTION = 'Questions about servers, billing or your account? Send us a message or reach us directly.';

/**
 * /contact (issue 16 item 1): the contact form (name, email, category, subject, message) with
 * a honeypot people never see, the ways to reach the business and its hours. A message is
 * stored for staff and mailed to the support address (src/domain/contact/messages.ts); too
 * many from one IP or email address answers 429 with Retry-After, bad input 422 with the form
 * as typed. Maintenance mode refuses the POST like every customer write (the gate, 503).
 * Signed-in people find their name and email filled in.
 */
export function contactPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  const page = async (c: Context) => {
    const [categories, methods, site] = await Promise.all([
      listCategories(deps.db),
      listMethods(deps.db),
      getSiteSettings(deps.db, { cache: deps.cache, brandName: deps.config.BRAND_NAME }),
    ]);
    return {
      template: 'public/contact/index',
      data: {
        categories,
        methods,
        supportEmail: site.supportEmail,
        businessHours: site.businessHours,
        honeypot: HONEYPOT,
        limits: { name: MAX_NAME, subject: MAX_SUBJECT, message: MAX_MESSAGE },
      },
      options: { layout: 'public' as const, title: TITLE, description: DESCRIPTION },
    };
  };

  app.get('/contact', async (c) => {
    const p = await page(c);
    const user = c.get('auth')?.user;
    const values = { name: user?.name ?? '', email: user?.email ?? '' };
    return view.page(c, p.template, { ...p.data, values, errors: {}, message: null }, p.options);
  });

  app.post('/contact', async (c) => {
    const values = await formData(c);
    const p = await page(c);
    return submitForm(c, view, { ...p, values }, async () => {
      await submitContactMessage(
        deps,
        {
          userId: c.get('auth')?.user.id ?? null,
          ip: c.get('clientIp'),
          userAgent: c.req.header('user-agent') ?? null,
        },
        values,
      );
      // The same answer whether stored or caught by the honeypot.
      return redirect(c, '/contact/sent');
    });
  });

  app.get('/contact/sent', (c) =>
    view.page(
      c,
      'public/contact/sent',
      {},
      { layout: 'public', title: 'Message sent', description: 'Thank you: your message reached us.' },
    ),
  );

  return app;
}
