import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { membershipOf, type Actor } from '../../src/domain/access/actor.ts';
import { updatePlatformSettings } from '../../src/domain/settings/platform.ts';
import type { TestContext } from '../helpers/context.ts';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A real webhook receiver on 127.0.0.1: keeps every request, answers with `answer` (200 by
 * default; a test changes it to fail or to hold the request open).
 */
export async function startReceiver() {
  const received: Received[] = [];
  let answer: (r: Received) => Promise<{ status: number; headers?: Record<string, string> }> = async () => ({
    status: 200,
  });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      void answer(r).then((a) => {
        res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
        res.end('ok');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    answerWith(fn: typeof answer) {
      answer = fn;
    },
    status(status: number) {
      answer = async () => ({ status });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/**
 * What a receiver does (README "Verifying a signature"): recompute the HMAC over
 * "<t>.<body>" with the endpoint's secret and compare in constant time; reject old timestamps.
 */
export function verifySignature(secret: string, header: string, body: string, nowSeconds: number, tolerance = 300) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(nowSeconds - t) <= tolerance;
}

/** A platform admin turns on "allow webhooks to loopback (development)", as the admin page does. */
export async function allowLoopback(ctx: TestContext, adminUserId: string, allowed = true) {
  const admin: Actor = {
    userId: adminUserId,
    isPlatformAdmin: true,
    organizationId: null,
    roleName: null,
    permissions: new Set(),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '198.51.100.1', userAgent: null },
  };
  await updatePlatformSettings(ctx.deps, admin, { webhookLoopbackAllowed: allowed });
}

/** The actor a request of `userId` acting in `organizationId` gets (its role read now, as orgActor does). */
export async function actorIn(ctx: TestContext, userId: string, organizationId: string): Promise<Actor> {
  const m = await membershipOf(ctx.db, userId, organizationId);
  if (!m) throw new Error('not a member');
  return {
    userId,
    isPlatformAdmin: false,
    organizationId,
    roleName: m.roleName,
    permissions: m.permissions,
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '198.51.100.2', userAgent: 'vitest' },
  };
}

/** The deliveries of an organization's events, oldest first, with the event's type. */
export function outboxOf(ctx: TestContext, organizationId: string) {
  return ctx.db
    .selectFrom('webhook_outbox as d')
    .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
    .select(['d.id', 'd.status', 'd.attempts', 'd.endpoint_id', 'd.next_attempt_at', 'ev.type', 'ev.data', 'ev.body'])
    .where('d.organization_id', '=', organizationId)
    .orderBy('d.created_at')
    .orderBy('ev.created_at')
    .execute();
}
