import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/domain/activity/record.ts';
import { apiClient, ISO_UTC, person, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { joinAs } from '../api-keys/helpers.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const call = () => apiClient(ctx, '198.51.100.80');

describe('GET /api/v1/activity', () => {
  it('pages through the organization’s events newest first with a cursor, ties included', async () => {
    const olga = await person(ctx, 'Olga Olsen');
    const token = await tokenFor(ctx, olga.email, '198.51.100.80');
    const same = new Date('2026-04-01T08:00:00.000Z');
    for (let i = 0; i < 55; i++) {
      await recordActivity(ctx.db, {
        action: 'member.invited',
        actorUserId: olga.id,
        organizationId: olga.organizationId,
        origin: { ip: '192.0.2.1', userAgent: 'ua' },
        details: { n: i },
        occurredAt: i % 2 ? same : new Date(same.getTime() - i),
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Awaited<ReturnType<ReturnType<typeof call>>> = await call()(
        'GET',
        `/activity?action=member.invited&limit=20${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      );
      expect(res.status).toBe(200);
      expect(res.body.has_more).toBe(res.body.next_cursor !== null);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(55);
    const times = (await call()('GET', '/activity?action=member.invited&limit=100', { token })).body.data.map(
      (e: { occurred_at: string }) => e.occurred_at,
    );
    expect([...times].sort().reverse()).toEqual(times);

    const first = (await call()('GET', '/activity?limit=1', { token })).body.data[0];
    expect(first).toMatchObject({
      action: 'member.invited',
      description: 'Invited a member',
      actor: { id: olga.id, name: olga.name, email: olga.email },
      impersonator: null,
      organization_id: olga.organizationId,
      ip: '192.0.2.1',
      user_agent: 'ua',
    });
    expect(first.occurred_at).toMatch(ISO_UTC);
  });

  it('refuses a viewer with 403 and a foreign organization with 404', async () => {
    const owner = await person(ctx, 'Owen Owner');
    const vera = await person(ctx, 'Vera Viewer');
    const stranger = await person(ctx, 'Stan Strange');
    await joinAs(ctx, owner.organizationId, vera.id, 'viewer');
    const token = await tokenFor(ctx, vera.email, '198.51.100.81');
    const refused = await call()('GET', '/activity', { token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    // Her own personal organization, named explicitly, is hers to read.
    expect(
      (await call()('GET', '/activity', { token, headers: { 'x-organization-id': vera.organizationId } })).status,
    ).toBe(200);
    expect(
      (await call()('GET', '/activity', { token, headers: { 'x-organization-id': stranger.organizationId } })).status,
    ).toBe(404);
  });

  it('never returns another organization’s events', async () => {
    const ann = await person(ctx, 'Ann Apple');
    const bea = await person(ctx, 'Bea Berry');
    await recordActivity(ctx.db, {
      action: 'organization.updated',
      actorUserId: bea.id,
      organizationId: bea.organizationId,
      details: { name: 'bea private' },
    });
    await recordActivity(ctx.db, {
      action: 'auth.sign_in_failed',
      actorUserId: null,
      details: { reason: 'unknown_account' },
    });
    const token = await tokenFor(ctx, ann.email, '198.51.100.82');
    const res = await call()('GET', '/activity?limit=100', { token });
    expect(res.status).toBe(200);
    expect(res.body.data.every((e: { organization_id: string }) => e.organization_id === ann.organizationId)).toBe(
      true,
    );
    expect(JSON.stringify(res.body)).not.toContain('bea private');
  });

  it('answers 422 for an unknown action, a bad date or a forged cursor', async () => {
    const cy = await person(ctx, 'Cy Cursor');
    const token = await tokenFor(ctx, cy.email, '198.51.100.83');
    for (const q of [
      'action=auth.everything',
      'from=yesterday',
      `cursor=${Buffer.from('2026-01-01|x').toString('base64url')}`,
      'from=2026-02-02&to=2026-02-01',
    ]) {
      const res = await call()('GET', `/activity?${q}`, { token });
      expect(res.status, q).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('filters by a date range in UTC, days inclusive', async () => {
    const dot = await person(ctx, 'Dot Dates');
    const token = await tokenFor(ctx, dot.email, '198.51.100.84');
    for (const [iso, name] of [
      ['2026-06-01T23:59:59Z', 'may-end'],
      ['2026-06-02T00:00:00Z', 'june-2-start'],
      ['2026-06-02T23:59:59.999Z', 'june-2-end'],
      ['2026-06-03T00:00:00Z', 'june-3'],
    ] as const) {
      await recordActivity(ctx.db, {
        action: 'organization.updated',
        actorUserId: dot.id,
        organizationId: dot.organizationId,
        details: { name },
        occurredAt: new Date(iso),
      });
    }
    const names = async (q: string) =>
      (await call()('GET', `/activity?action=organization.updated&${q}`, { token })).body.data.map(
        (e: { details: { name: string } }) => e.details.name,
      );
    expect(await names('from=2026-06-02&to=2026-06-02')).toEqual(['june-2-end', 'june-2-start']);
    expect(await names('from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z')).toEqual([
      'june-3',
      'june-2-end',
      'june-2-start',
    ]);
  });
});
