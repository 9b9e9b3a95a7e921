import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { authorize } from '../../../../domain/access/organization.ts';
import { hostingEnabled } from '../../../../domain/hosting/integration.ts';
import { purchaseHosting } from '../../../../domain/hosting/purchase.ts';
import { checkStoreDomain, storePlans, storeWallet } from '../../../../domain/hosting/store.ts';
import { ValidationError, NotFoundError } from '../../../../lib/errors.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { hostingFormat } from './present.ts';

type Values = { plan_id?: string; domain?: string; key?: string };

/**
 * The hosting store (issue 17 item 3): GET /hosting/store shows the plans sold now with their
 * prices and resources and a buy form (hosting_view sees it, hosting_manage buys); the domain
 * field asks GET /hosting/store/domain-check as the customer types (htmx); POST /hosting buys
 * (a hidden purchase key makes a double submit one service) and goes to the service's page.
 * With hosting off the store is not found; services already bought stay visible (services.ts).
 */
export function storePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const open = async () => {
    if (!(await hostingEnabled(deps.db, { cache: deps.cache })))
      throw new NotFoundError('Web hosting is not available.');
  };
  const page = async (c: Context, values: Values, errors: Record<string, string> = {}, status?: 422) => {
    const balance = await storeWallet(deps.db, actorOf(c));
    const plans = await storePlans(deps.db, { cache: deps.cache });
    return view.page(
      c,
      'portal/hosting/store',
      {
        plans,
        balance,
        values: {
          plan_id: values.plan_id ?? plans[0]?.id ?? '',
          domain: values.domain ?? '',
          key: values.key || randomUUID(),
        },
        errors,
        message: Object.keys(errors).length ? (errors._ ?? 'Please correct the highlighted fields.') : null,
        fmt: hostingFormat,
      },
      { layout: 'portal', title: 'Web hosting store', status },
    );
  };

  app.get('/store', async (c) => {
    await open();
    return page(c, { plan_id: c.req.query('plan') });
  });

  app.get('/store/domain-check', async (c) => {
    await open();
    const domain = c.req.query('domain') ?? '';
    if (!domain.trim()) return view.partial(c, 'portal/hosting/_domain_check', { verdict: null, error: null });
    try {
      const verdict = await checkStoreDomain(deps, actorOf(c), domain);
      return view.partial(c, 'portal/hosting/_domain_check', { verdict, error: null });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return view.partial(c, 'portal/hosting/_domain_check', {
        verdict: null,
        error: err.fields?.domain ?? err.message,
      });
    }
  });

  app.post('/', async (c) => {
    await open();
    authorize(actorOf(c), 'hosting_manage');
    const values: Values = await formData(c);
    return orFail(
      async () => {
        const s = await purchaseHosting(deps, actorOf(c), {
          planId: values.plan_id,
          domain: values.domain,
          key: values.key,
        });
        if (s.status === 'failed')
          flash(c, `The website could not be set up: the first month's charge was returned to your wallet.`, 'error');
        else
          flash(
            c,
            s.status === 'active'
              ? `${s.domain} is live.`
              : `${s.domain} is being set up: this page updates by itself.`,
          );
        return redirect(c, `/hosting/${s.id}`);
      },
      (err) => {
        const fields = err.fields ?? {};
        // Field errors beside their fields; anything else (money, the form's key) above the form.
        const onForm = fields.plan_id || fields.domain ? fields : { _: fields.key ?? err.message };
        return page(c, values, onForm, 422);
      },
    );
  });

  return app;
}
