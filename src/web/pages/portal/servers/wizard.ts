import type { Context } from 'hono';
import { can, type Actor } from '../../../../domain/access/actor.ts';
import {
  appDataFor,
  offeredApps,
  offeredImages,
  offeredPlans,
  offeredRegions,
  serverSettings,
  type OfferedApp,
  type OfferedPlan,
} from '../../../../domain/catalogue/offer.ts';
import { labelProblem, rootPasswordProblem } from '../../../../domain/servers/rules.ts';
import { listSshKeys, type SshKey } from '../../../../domain/ssh-keys/keys.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, formList } from '../../../forms.ts';

/**
 * The create wizard's steps, as server-rendered forms: each step is a POST to /vps/new that
 * carries every earlier choice in hidden fields and answers the next step (or the same step
 * with messages, 422). Nothing is kept between requests, and nothing here is authoritative:
 * the create (domain/servers/create.ts) checks everything again. These checks only stop a
 * customer from walking on with a choice the next step cannot use.
 */
export const STEPS = ['label', 'region', 'plan', 'app', 'app_fields', 'image', 'access', 'options', 'review'] as const;
export type Step = (typeof STEPS)[number];

export const STEP_TITLES: Record<Step, string> = {
  label: 'Name',
  region: 'Region',
  plan: 'Plan',
  app: 'App',
  app_fields: 'App settings',
  image: 'Image',
  access: 'Access',
  options: 'Options',
  review: 'Review',
};

export interface WizardState {
  label: string;
  region: string;
  plan_id: string;
  app_id: string;
  app_data: Record<string, string>;
  image: string;
  password_mode: 'generate' | 'type';
  root_password: string;
  ssh_key_ids: string[];
  backups: boolean;
  private_ip: boolean;
}

export const emptyState = (): WizardState => ({
  label: '',
  region: '',
  plan_id: '',
  app_id: '',
  app_data: {},
  image: '',
  password_mode: 'generate',
  root_password: '',
  ssh_key_ids: [],
  backups: false,
  private_ip: false,
});

const APP_DATA = 'app_data.';

/** The wizard's choices from a submitted form (hidden fields and the current step's inputs). */
export async function readState(c: Context): Promise<{ state: WizardState; step: Step | null; go: string }> {
  const f = await formData(c);
  const app_data: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (k.startsWith(APP_DATA)) app_data[k.slice(APP_DATA.length)] = v;
  const state: WizardState = {
    label: (f.label ?? '').trim(),
    region: f.region ?? '',
    plan_id: f.plan_id ?? '',
    app_id: f.app_id ?? '',
    app_data,
    image: f.image ?? '',
    password_mode: f.password_mode === 'type' ? 'type' : 'generate',
    root_password: f.password_mode === 'type' ? (f.root_password ?? '') : '',
    ssh_key_ids: [...new Set(await formList(c, 'ssh_key_ids'))],
    backups: f.backups === 'on' || f.backups === 'true',
    private_ip: f.private_ip === 'on' || f.private_ip === 'true',
  };
  const step = (STEPS as readonly string[]).includes(f.step ?? '') ? (f.step as Step) : null;
  return { state, step, go: f.go ?? 'next' };
}

/** What the steps offer, read once per request. */
export interface Offer {
  salesEnabled: boolean;
  regions: Awaited<ReturnType<typeof offeredRegions>>;
  plans: OfferedPlan[];
  apps: OfferedApp[];
  images: Awaited<ReturnType<typeof offeredImages>>;
  sshKeys: SshKey[];
}

export async function loadOffer(deps: AppDeps, actor: Actor, state: WizardState): Promise<Offer> {
  const now = deps.clock.now();
  const [settings, regions, apps, sshKeys] = await Promise.all([
    serverSettings(deps.db, { cache: deps.cache }),
    offeredRegions(deps.db),
    offeredApps(deps.db),
    can(actor, 'ssh_keys_view') ? listSshKeys(deps.db, actor) : Promise.resolve([]),
  ]);
  const region = regions.find((r) => r.id === state.region);
  const plans = region ? await offeredPlans(deps.db, now, { region: region.id }) : [];
  const images = region ? await offeredImages(deps.db, region.providerId) : [];
  return {
    salesEnabled: settings.salesEnabled,
    regions,
    plans: plans.filter((p) => p.providerId === region?.providerId),
    apps: apps.filter((a) => !region || a.providerId === region.providerId),
    images,
    sshKeys,
  };
}

const chosenApp = (offer: Offer, s: WizardState) => offer.apps.find((a) => a.id === s.app_id) ?? null;

/** Drops settings of an app no longer chosen (a changed choice must not carry the last app's fields). */
export function prune(offer: Offer, s: WizardState): WizardState {
  const app = chosenApp(offer, s);
  const names = new Set(app?.fields.map((f) => f.name) ?? []);
  return { ...s, app_data: Object.fromEntries(Object.entries(s.app_data).filter(([k]) => names.has(k))) };
}

/** Images the chosen app runs on (all offered images when no app, or when the app does not say). */
export function imagesFor(offer: Offer, s: WizardState) {
  const app = chosenApp(offer, s);
  return app && app.images.length ? offer.images.filter((i) => app.images.includes(i.id)) : offer.images;
}

/** Whether a step is shown at all for these choices (app settings only for an app with fields). */
export function applies(step: Step, offer: Offer, s: WizardState): boolean {
  if (step === 'app_fields') return (chosenApp(offer, s)?.fields.length ?? 0) > 0;
  return true;
}

/** The messages of one step for these choices, by field; empty when the step is complete. */
export function checkStep(step: Step, offer: Offer, s: WizardState): Record<string, string> {
  const e: Record<string, string> = {};
  switch (step) {
    case 'label': {
      const problem = labelProblem(s.label);
      if (problem) e.label = problem;
      break;
    }
    case 'region':
      if (!offer.regions.some((r) => r.id === s.region)) e.region = 'Choose a region.';
      break;
    case 'plan':
      if (!offer.plans.some((p) => p.id === s.plan_id)) e.plan_id = 'Choose a plan sold in this region.';
      break;
    case 'app':
      if (s.app_id && !chosenApp(offer, s)) e.app_id = 'Choose an app from the list, or none.';
      break;
    case 'app_fields': {
      const app = chosenApp(offer, s);
      const result = app ? appDataFor(app, s.app_data) : { data: {} };
      if ('errors' in result) for (const [k, v] of Object.entries(result.errors)) e[`app_data.${k}`] = v;
      break;
    }
    case 'image':
      if (!imagesFor(offer, s).some((i) => i.id === s.image)) e.image = 'Choose an image from the list.';
      break;
    case 'access': {
      if (s.password_mode === 'type') {
        const problem = rootPasswordProblem(s.root_password);
        if (problem) e.root_password = problem;
      }
      const known = new Set(offer.sshKeys.map((k) => k.id));
      if (s.ssh_key_ids.some((id) => !known.has(id))) e.ssh_key_ids = 'Choose keys from the list.';
      break;
    }
    default:
      break;
  }
  return e;
}

/** The step that shows a create's field error (the domain's field names). */
export function stepOfField(field: string): Step {
  if (field === 'label') return 'label';
  if (field === 'region') return 'region';
  if (field === 'plan_id') return 'plan';
  if (field === 'app_id') return 'app';
  if (field.startsWith('app_data')) return 'app_fields';
  if (field === 'image') return 'image';
  if (field === 'root_password' || field === 'ssh_key_ids') return 'access';
  if (field === 'backups' || field === 'private_ip') return 'options';
  return 'review';
}

/**
 * Where a wizard POST leads: back to the step before (`go=back`), to a step named to change it
 * (`go=<step>`, earlier steps only), or on: every step up to the current one is checked again
 * (hidden fields may have been changed) and the first with messages is shown with them.
 */
export function navigate(
  offer: Offer,
  s: WizardState,
  current: Step,
  go: string,
): { step: Step; errors: Record<string, string> } {
  const shown = STEPS.filter((st) => applies(st, offer, s));
  const at = Math.max(0, shown.indexOf(current));
  if (go === 'back') return { step: shown[Math.max(0, at - 1)]!, errors: {} };
  if ((shown as readonly string[]).includes(go) && shown.indexOf(go as Step) < at)
    return { step: go as Step, errors: {} };
  for (const st of shown.slice(0, at + 1)) {
    const errors = checkStep(st, offer, s);
    if (Object.keys(errors).length) return { step: st, errors };
  }
  return { step: shown[Math.min(at + 1, shown.length - 1)]!, errors: {} };
}

/** The plans of the offer grouped by category, in offer order. */
export function plansByCategory(plans: OfferedPlan[]): Array<{ category: string; plans: OfferedPlan[] }> {
  const groups = new Map<string, OfferedPlan[]>();
  for (const p of plans) groups.set(p.category, [...(groups.get(p.category) ?? []), p]);
  return [...groups].map(([category, list]) => ({ category, plans: list }));
}

/** The hidden fields carrying every choice but those of `step` (its inputs are on the form). */
export function hiddenFields(s: WizardState, step: Step): Array<[string, string]> {
  const own: Record<Step, string[]> = {
    label: ['label'],
    region: ['region'],
    plan: ['plan_id'],
    app: ['app_id'],
    app_fields: ['app_data'],
    image: ['image'],
    access: ['password_mode', 'root_password', 'ssh_key_ids'],
    options: ['backups', 'private_ip'],
    review: [],
  };
  const skip = new Set(own[step]);
  const out: Array<[string, string]> = [];
  const add = (k: string, v: string) => {
    if (!skip.has(k) && v !== '') out.push([k, v]);
  };
  add('label', s.label);
  add('region', s.region);
  add('plan_id', s.plan_id);
  add('app_id', s.app_id);
  if (!skip.has('app_data')) for (const [k, v] of Object.entries(s.app_data)) out.push([`${APP_DATA}${k}`, v]);
  add('image', s.image);
  add('password_mode', s.password_mode);
  if (s.password_mode === 'type') add('root_password', s.root_password);
  if (!skip.has('ssh_key_ids')) for (const id of s.ssh_key_ids) out.push(['ssh_key_ids', id]);
  add('backups', s.backups ? 'on' : '');
  add('private_ip', s.private_ip ? 'on' : '');
  return out;
}

/** The create's input from the wizard's choices (the domain parses and checks it). */
export function createInput(s: WizardState) {
  return {
    label: s.label,
    region: s.region,
    planId: s.plan_id,
    image: s.image,
    rootPassword: s.password_mode === 'type' ? s.root_password : undefined,
    sshKeyIds: s.ssh_key_ids,
    backups: s.backups,
    privateIp: s.private_ip,
    appId: s.app_id || undefined,
    appData: s.app_id ? s.app_data : undefined,
  };
}
