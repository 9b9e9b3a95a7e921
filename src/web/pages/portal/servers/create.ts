import { Hono, type Context } from 'hono';
import { setCookie } from 'hono/cookie';
import { authorize } from '../../../../domain/access/organization.ts';
import { createServer, quoteServer } from '../../../../domain/servers/create.ts';
import { AppError as AppErrorClass, type AppError } from '../../../../lib/errors.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { ROOT_PASSWORD_COOKIE } from './detail.ts';
import { serverFormat } from './present.ts';
import {
  applies,
  createInput,
  emptyState,
  hiddenFields,
  imagesFor,
  loadOffer,
  navigate,
  plansByCategory,
  prune,
  readState,
  STEP_TITLES,
  STEPS,
  stepOfField,
  type Step,
  type WizardState,
} from './wizard.ts';

/**
 * The create wizard (vps_create): GET /vps/new starts it, POST /vps/new moves between steps
 * (wizard.ts), POST /vps creates. A refused create shows the step its message belongs to, 422.
 * After a create the generated root password rides to /vps/:id in a short-lived HttpOnly
 * cookie scoped to that page, which the page shows once and clears.
 */
export function serverCreatePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = {
    layout: 'portal' as const,
    title: 'Create a server',
    region: { id: 'wizard', partial: 'portal/servers/_wizard' },
  };

  async function render(c: Context, s: WizardState, step: Step, errors: Record<string, string> = {}, message = '') {
    const actor = actorOf(c);
    const offer = await loadOffer(deps, actor, s);
    const state = prune(offer, s);
    const quote =
      step === 'review'
        ? await quoteServer(deps, actor, { planId: state.plan_id, region: state.region, backups: state.backups }).catch(
            (err: unknown) => {
              if (err instanceof AppErrorClass && err.status !== 403) return null;
              throw err;
            },
          )
        : null;
    const hasErrors = Object.keys(errors).length > 0 || message !== '';
    const data = {
      s: state,
      step,
      steps: STEPS.filter((st) => applies(st, offer, state)).map((st) => ({ id: st, title: STEP_TITLES[st] })),
      offer,
      categories: plansByCategory(offer.plans),
      images: imagesFor(offer, state),
      region: offer.regions.find((r) => r.id === state.region) ?? null,
      plan: offer.plans.find((p) => p.id === state.plan_id) ?? null,
      app: offer.apps.find((a) => a.id === state.app_id) ?? null,
      image: offer.images.find((i) => i.id === state.image) ?? null,
      keys: offer.sshKeys.filter((k) => state.ssh_key_ids.includes(k.id)),
      hidden: hiddenFields(state, step),
      quote,
      errors,
      message,
      fmt: serverFormat,
    };
    return view.page(c, 'portal/servers/new', data, { ...opts, status: hasErrors ? 422 : 200 });
  }

  app.get('/new', async (c) => {
    authorize(actorOf(c), 'vps_create');
    return render(c, emptyState(), 'label');
  });

  app.post('/new', async (c) => {
    const actor = actorOf(c);
    authorize(actor, 'vps_create');
    const { state, step, go } = await readState(c);
    const offer = await loadOffer(deps, actor, state);
    const s = prune(offer, state);
    const next = navigate(offer, s, step ?? 'label', go);
    return render(c, s, next.step, next.errors);
  });

  app.post('/', async (c) => {
    const actor = actorOf(c);
    const { state } = await readState(c);
    return orFail(
      async () => {
        const created = await createServer(deps, actor, createInput(state), {});
        if (created.generatedPassword) {
          setCookie(c, ROOT_PASSWORD_COOKIE, created.generatedPassword, {
            path: `/vps/${created.server.id}`,
            httpOnly: true,
            sameSite: 'Strict',
            secure: deps.config.isProduction,
            maxAge: 300,
          });
        }
        flash(c, `${created.server.label} is being created. It is charged from now, by the hour.`);
        return redirect(c, `/vps/${created.server.id}`);
      },
      (err: AppError) => {
        const fields = err.fields ?? {};
        const first = STEPS.find((st) => Object.keys(fields).some((f) => stepOfField(f) === st)) ?? 'review';
        const own = Object.fromEntries(Object.entries(fields).filter(([f]) => stepOfField(f) === first));
        const message = first === 'review' || !Object.keys(own).length ? err.message : '';
        return render(c, state, first, own, message);
      },
    );
  });

  return app;
}
