import { Hono, type Context } from 'hono';
import {
  deleteIpRule,
  deleteOverride,
  DURATIONS,
  ipForensics,
  listIpRules,
  listOverrides,
  OVERRIDE_KINDS,
  rateLimitMonitor,
  saveIpRule,
  saveOverride,
} from '../../../domain/security/admin.ts';
import { ValidationError } from '../../../lib/errors.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;

/**
 * /admin/security (issue 16 item 8): the rate-limit monitor (who is limited now, with links to
 * forensics and quick actions), IP allow/block rules with an expiry, per-user rate-limit
 * overrides, and sign-in forensics for an address (/admin/security/ip/:ip or ?ip=). Domain:
 * src/domain/security/admin.ts; rules apply in every process at once (rules.ts).
 */
export function adminSecurityPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const monitor = await rateLimitMonitor(deps, actorOf(c));
    const [rules, overrides] = await Promise.all([listIpRules(deps, actorOf(c)), listOverrides(deps, actorOf(c))]);
    const now = deps.clock.now();
    const live = (x: { expiresAt: Date | null }) => !x.expiresAt || x.expiresAt > now;
    return view.page(
      c,
      'admin/security/index',
      {
        monitor,
        counts: {
          blocks: rules.filter((r) => r.action === 'block' && live(r)).length,
          allows: rules.filter((r) => r.action === 'allow' && live(r)).length,
          overrides: overrides.filter(live).length,
        },
        section: 'monitor',
      },
      { layout, title: 'Security' },
    );
  });

  // ---- IP rules
  const rulesForm = async (c: Context) => ({
    template: 'admin/security/rules',
    data: { rules: await listIpRules(deps, actorOf(c)), durations: DURATIONS, now: deps.clock.now(), section: 'rules' },
    options: { layout, title: 'IP rules' },
  });

  app.get('/rules', async (c) => {
    const f = await rulesForm(c);
    const values = {
      network: c.req.query('network') ?? '',
      action: c.req.query('action') === 'allow' ? 'allow' : 'block',
      duration: c.req.query('duration') ?? '1d',
      note: '',
    };
    return view.page(c, f.template, { ...f.data, values, errors: {}, message: null }, f.options);
  });

  app.post('/rules', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...(await rulesForm(c)), values }, async () => {
      const rule = await saveIpRule(deps, actorOf(c), values);
      flash(c, `${rule.action === 'block' ? 'Blocked' : 'Allowed'} ${rule.network}.`);
      return redirect(c, '/admin/security/rules');
    });
  });

  app.post('/rules/:id/delete', async (c) => {
    const rule = await deleteIpRule(deps, actorOf(c), c.req.param('id'));
    flash(c, `The ${rule.action} rule for ${rule.network} is deleted.`);
    return redirect(c, '/admin/security/rules');
  });

  // ---- overrides
  const overridesForm = async (c: Context) => ({
    template: 'admin/security/overrides',
    data: {
      overrides: await listOverrides(deps, actorOf(c)),
      durations: DURATIONS,
      kinds: OVERRIDE_KINDS,
      limits: { authenticated: deps.config.RATE_LIMIT_AUTHENTICATED, admin: deps.config.RATE_LIMIT_ADMIN },
      windowMinutes: deps.config.RATE_LIMIT_WINDOW_MINUTES,
      now: deps.clock.now(),
      section: 'overrides',
    },
    options: { layout, title: 'Rate-limit overrides' },
  });

  app.get('/overrides', async (c) => {
    const f = await overridesForm(c);
    const values = { user: c.req.query('user') ?? '', kind: 'multiplier', multiplier: '2', duration: '' };
    return view.page(c, f.template, { ...f.data, values, errors: {}, message: null }, f.options);
  });

  app.post('/overrides', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...(await overridesForm(c)), values }, async () => {
      const o = await saveOverride(deps, actorOf(c), values);
      flash(c, `The override for ${o.email} is saved.`);
      return redirect(c, '/admin/security/overrides');
    });
  });

  app.post('/overrides/:userId/delete', async (c) => {
    const o = await deleteOverride(deps, actorOf(c), c.req.param('userId'));
    flash(c, `The override for ${o.email} is removed.`);
    return redirect(c, '/admin/security/overrides');
  });

  // ---- forensics: ?ip= (the search form) or /ip/:ip (links)
  const forensics = async (c: Context, ip: string | undefined) => {
    const options = { layout, title: ip ? `Forensics: ${ip.slice(0, 60)}` : 'IP forensics' };
    const base = { section: 'ip', values: { ip: ip ?? '' }, errors: {}, message: null, result: null };
    if (ip === undefined) return view.page(c, 'admin/security/ip', base, options);
    try {
      const result = await ipForensics(deps, actorOf(c), ip);
      return view.page(c, 'admin/security/ip', { ...base, result, values: { ip: result.ip } }, options);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return view.page(
        c,
        'admin/security/ip',
        { ...base, errors: err.fields ?? {}, message: err.message },
        { ...options, title: 'IP forensics', status: 422 },
      );
    }
  };
  app.get('/ip', (c) => forensics(c, c.req.query('ip')));
  app.get('/ip/:ip', (c) => forensics(c, c.req.param('ip')));

  return app;
}
