import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for the email templates screens (issue 16 item 5), spread into ROUTES by
 * routes.ts: platform staff only. Saves use a marker in the subject so each call's effect is its
 * own; the emails they change here are ones no other entry checks the wording of.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const BASE = '/admin/email-templates';
const override = (c: Call, name: string) =>
  db(c).selectFrom('email_templates').select(['subject']).where('name', '=', name).executeTakeFirst();
const back = (name: string, effect: Done['effect']): Done => ({ status: 303, location: `${BASE}/${name}`, effect });

export const EMAIL_TEMPLATE_ROUTES: Record<string, Requirement> = {
  'GET /admin/email-templates': {
    auth: 'admin',
    done: { status: 200, shows: ['<title>Email templates · SkyPanel</title>', 'Sent when someone signs up'] },
  },
  'GET /admin/email-templates/:name': {
    auth: 'admin',
    params: () => ({ name: 'runway' }),
    done: { status: 200, shows: ['<title>Email: runway · SkyPanel</title>', '{{runwayDays}}', 'Send me a test'] },
  },
  'POST /admin/email-templates/:name': {
    auth: 'admin',
    params: () => ({ name: 'runway' }),
    setup: async () => ({ marker: `Matrix ${u()}` }),
    body: (c) => ({
      subject: `${c.made.marker!} {{runwayDays}}`,
      html: '<p>Hello {{name}}</p>',
      text: 'Hello {{name}}',
    }),
    done: (c) =>
      back('runway', async () =>
        problem(
          (await override(c, 'runway'))?.subject === `${c.made.marker!} {{runwayDays}}`,
          'the template was not saved',
        ),
      ),
  },
  'POST /admin/email-templates/:name/preview': {
    auth: 'admin',
    params: () => ({ name: 'runway' }),
    body: () => ({ subject: 'Preview {{runwayDays}}', html: '<p>Hello {{name}}</p>', text: 'Hello {{name}}' }),
    done: { status: 200, shows: ['Preview 6.5', 'sandbox=""'] },
  },
  'POST /admin/email-templates/:name/reset': {
    auth: 'admin',
    params: () => ({ name: 'termination' }),
    setup: async (c) => {
      await db(c)
        .insertInto('email_templates')
        .values({ name: 'termination', subject: 'Matrix {{name}}', html: '<p>{{name}}</p>', text: '{{name}}' })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    },
    done: (c) =>
      back('termination', async () =>
        problem((await override(c, 'termination')) === undefined, 'the template was not reset'),
      ),
  },
  'POST /admin/email-templates/:name/test': {
    auth: 'admin',
    params: () => ({ name: 'email_changed' }),
    setup: async () => ({ since: new Date(Date.now() - 1000).toISOString() }),
    done: (c) =>
      back('email_changed', async () => {
        const sent = await db(c)
          .selectFrom('emails')
          .select('id')
          .where('to_address', '=', c.me!.email)
          .where('template', '=', 'email_changed')
          .where('created_at', '>=', new Date(c.made.since!))
          .execute();
        return problem(sent.length >= 1, 'no test email was queued to the admin');
      }),
  },
};
