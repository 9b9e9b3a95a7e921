import { describe, expect, it } from 'vitest';
import { useFuzzWorld } from './world.ts';

/** What the fuzz found (each was a 500), kept as plain tests so they stay fixed whatever the seed. */

const w = useFuzzWorld();

async function postAsStaff(url: string, body: string) {
  const staff = await w.caller('staff');
  return w.ctx.app.request(url, {
    method: 'POST',
    headers: {
      cookie: staff.cookie,
      'x-csrf-token': staff.csrf,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': '198.51.100.30',
    },
    body,
  });
}

describe('inputs the fuzz found', () => {
  it('an email template with a NUL character is refused with the form again (422), not a failed save', async () => {
    for (const field of ['subject', 'html', 'text']) {
      const values: Record<string, string> = { subject: 'Welcome', html: '<p>Hello</p>', text: 'Hello' };
      values[field] = `${values[field]}\u0000`;
      const res = await postAsStaff('/admin/email-templates/welcome', new URLSearchParams(values).toString());
      expect(res.status, field).toBe(422);
      expect(await res.text()).toContain('cannot contain a NUL character');
    }
  });

  it('starting a billing run of an hour already queued says 409 every time — the sixth time too (PostgreSQL plans it generically then)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await postAsStaff('/admin/billing/runs', 'hour=')).status);
    expect(statuses).toEqual([303, 409, 409, 409, 409, 409, 409, 409, 409]);
    const queued = await w.ctx.db.selectFrom('billing_runs').select('id').where('status', '=', 'queued').execute();
    expect(queued).toHaveLength(1);
  });
});
