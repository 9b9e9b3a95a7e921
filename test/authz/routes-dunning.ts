import { openCase } from '../../src/domain/dunning/case.ts';
import { fundWallet } from '../helpers/money.ts';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for dunning (issue 12 item 7): staff's /admin/billing/arrears pages and
 * their changes, and GET /api/v1/admin/billing/arrears. Every call that changes a case gets an
 * organization of its own, put below zero the only way there is (a balanced posting), so calls
 * never share a case.
 */

const db = (c: Call) => c.fx.ctx.db;
const problem = (ok: boolean, what: string) => (ok ? null : what);
const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const title = (t: string) => `<title>${escapeHtml(t)} · SkyPanel</title>`;
const page = (t: string, ...shows: string[]): Done => ({ status: 200, shows: [title(t), ...shows] });

/** A new organization whose balance is below zero, its case opened as the job would. */
async function inArrears(c: Call, opts: { exempt?: boolean } = {}): Promise<Record<string, string>> {
  const p = await c.fx.make.person('Arrears');
  await fundWallet(db(c), p.organizationId, -1_250_000n);
  const opened = await openCase(c.fx.ctx.deps, p.organizationId, c.fx.ctx.clock.now());
  if (opts.exempt)
    await db(c)
      .updateTable('dunning_cases')
      .set({ exempt_reason: 'Matrix exemption', exempted_at: c.fx.ctx.clock.now() })
      .where('id', '=', opened.id)
      .execute();
  const org = await db(c)
    .selectFrom('organizations')
    .select('name')
    .where('id', '=', p.organizationId)
    .executeTakeFirstOrThrow();
  return { orgId: p.organizationId, name: org.name };
}

const caseOf = (c: Call) =>
  db(c)
    .selectFrom('dunning_cases')
    .selectAll()
    .where('organization_id', '=', c.made.orgId!)
    .where('lifted_at', 'is', null)
    .executeTakeFirstOrThrow();

export const DUNNING_ROUTES: Record<string, Requirement> = {
  'GET /admin/billing/arrears': {
    auth: 'admin',
    setup: (c) => inArrears(c),
    done: (c) => page('Arrears', `/admin/billing/arrears/${c.made.orgId}`),
  },
  'GET /admin/billing/arrears/:id': {
    auth: 'admin',
    setup: (c) => inArrears(c),
    params: (c) => ({ id: c.made.orgId! }),
    done: (c) => page(`Arrears: ${c.made.name}`, 'Extend the deadline'),
  },
  'POST /admin/billing/arrears/:id/exemption': {
    auth: 'admin',
    setup: (c) => inArrears(c),
    params: (c) => ({ id: c.made.orgId! }),
    body: () => ({ reason: 'Matrix exemption' }),
    done: (c) => ({
      status: 303,
      location: `/admin/billing/arrears/${c.made.orgId}`,
      effect: async () => problem((await caseOf(c)).exempt_reason === 'Matrix exemption', 'the case is not exempt'),
    }),
  },
  'DELETE /admin/billing/arrears/:id/exemption': {
    auth: 'admin',
    setup: (c) => inArrears(c, { exempt: true }),
    params: (c) => ({ id: c.made.orgId! }),
    done: (c) => ({
      status: 303,
      location: `/admin/billing/arrears/${c.made.orgId}`,
      effect: async () => problem((await caseOf(c)).exempt_reason === null, 'the case is still exempt'),
    }),
  },
  'POST /admin/billing/arrears/:id/deadline': {
    auth: 'admin',
    setup: (c) => inArrears(c),
    params: (c) => ({ id: c.made.orgId! }),
    body: (c) => ({
      until: new Date(c.fx.ctx.clock.now().getTime() + 30 * 86_400_000).toISOString().slice(0, 10),
      reason: 'Matrix extension',
    }),
    done: (c) => ({
      status: 303,
      location: `/admin/billing/arrears/${c.made.orgId}`,
      effect: async () => problem((await caseOf(c)).extended_until !== null, 'the deadline did not move'),
    }),
  },
  'GET /api/v1/admin/billing/arrears': {
    auth: 'admin-token',
    setup: (c) => inArrears(c),
    done: (c) => ({ status: 200, shows: [`"organization_id":"${c.made.orgId}"`, '"has_more"'] }),
  },
};
