import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredJob } from '../../jobs/purge-expired.ts';
import { sendEmailJob } from '../../jobs/send-email.ts';
import { createSession } from '../../src/domain/accounts/sessions.ts';
import { createResendTransport } from '../../src/providers/mail/resend.ts';
import { startResendEmulator, type ResendEmulator } from '../../src/providers/mail/emulator/resend.ts';
import { outboxTransport } from '../../src/mail/delivery.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson } from '../helpers/people.ts';

let ctx: TestContext;
let resend: ResendEmulator;
beforeAll(async () => {
  ctx = await createTestContext();
  resend = await startResendEmulator();
});
afterAll(async () => {
  await resend.close();
  await ctx.close();
});

describe('mail delivery job', () => {
  it('is enqueued in the same transaction as the email row', async () => {
    const pat = await createPerson(ctx, 'Pat Mail');
    const email = await ctx.db
      .selectFrom('emails')
      .select('id')
      .where('to_address', '=', pat.email)
      .executeTakeFirstOrThrow();
    const job = await ctx.db
      .selectFrom('pgboss.job' as never)
      .select(['name' as never, 'data' as never])
      .where('name' as never, '=', 'email.send' as never)
      .execute();
    expect((job as Array<{ data: { emailId: string } }>).map((j) => j.data.emailId)).toContain(email.id);
  });

  it('delivers through Resend once, even when the job runs twice', async () => {
    const quinn = await createPerson(ctx, 'Quinn Resend');
    const email = await ctx.db
      .selectFrom('emails')
      .select('id')
      .where('to_address', '=', quinn.email)
      .executeTakeFirstOrThrow();
    const transport = createResendTransport({ apiKey: 're_test_key', baseUrl: resend.url });
    const deps = { db: ctx.db, mail: transport, config: ctx.config, log: ctx.deps.log };
    await sendEmailJob(deps, { emailId: email.id });
    await sendEmailJob(deps, { emailId: email.id });
    expect(resend.messages.filter((m) => m.to.includes(quinn.email))).toHaveLength(1);
    const row = await ctx.db.selectFrom('emails').selectAll().where('id', '=', email.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('sent');
    expect(row.transport).toBe('resend');
    expect(row.attempts).toBe(1);
  });

  it('keeps a retryable failure queued for the next attempt, and marks a permanent one failed', async () => {
    const rae = await createPerson(ctx, 'Rae Retry');
    const email = await ctx.db
      .selectFrom('emails')
      .select('id')
      .where('to_address', '=', rae.email)
      .executeTakeFirstOrThrow();
    const deps = {
      db: ctx.db,
      mail: createResendTransport({ apiKey: 're_test_key', baseUrl: resend.url }),
      config: ctx.config,
      log: ctx.deps.log,
    };
    resend.inject('500');
    await expect(sendEmailJob(deps, { emailId: email.id })).rejects.toThrow();
    expect(
      (await ctx.db.selectFrom('emails').select('status').where('id', '=', email.id).executeTakeFirstOrThrow()).status,
    ).toBe('queued');
    const bad = { ...deps, mail: createResendTransport({ apiKey: 'bad_key', baseUrl: resend.url }) };
    await sendEmailJob(bad, { emailId: email.id });
    const row = await ctx.db.selectFrom('emails').selectAll().where('id', '=', email.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.last_error).not.toContain('bad_key');
  });

  it('marks outbox mail sent without leaving the database', async () => {
    const sam = await createPerson(ctx, 'Sam Outbox');
    const email = await ctx.db
      .selectFrom('emails')
      .select('id')
      .where('to_address', '=', sam.email)
      .executeTakeFirstOrThrow();
    await sendEmailJob(
      { db: ctx.db, mail: outboxTransport, config: ctx.config, log: ctx.deps.log },
      { emailId: email.id },
    );
    expect(
      await ctx.db
        .selectFrom('emails')
        .select(['status', 'transport'])
        .where('id', '=', email.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ status: 'sent', transport: 'outbox' });
  });
});

describe('purge job', () => {
  it('deletes expired sessions and Idempotency-Keys past their 24 hours, keeps the rest, and records what it did in job_runs', async () => {
    const tom = await createPerson(ctx, 'Tom Expired');
    const now = ctx.clock.now();
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const origin = { ip: '192.0.2.1', userAgent: 'test' };
    // Started 30 days ago: past its 14-day absolute life. The other one started now.
    const old = await createSession(ctx.db, ctx.config, tom.id, 'full', origin, ago(30 * 86_400_000));
    const live = await createSession(ctx.db, ctx.config, tom.id, 'full', origin, now);
    const key = (k: string, created: Date) => ({
      key: k,
      user_id: tom.id,
      endpoint: 'POST /wallet/top-ups',
      request_hash: 'h',
      status: 'done' as const,
      created_at: created,
    });
    await ctx.db
      .insertInto('idempotency_keys')
      .values([key('past', ago(86_400_000 + 1)), key('last-moment', ago(86_400_000)), key('fresh', now)])
      .execute();
    const sessionsOfTom = async () =>
      (await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', tom.id).orderBy('id').execute()).map(
        (s) => s.id,
      );
    expect(await sessionsOfTom()).toEqual([old.sessionId, live.sessionId].sort());

    const jobId = `purge-${tom.id}`;
    const summary = await purgeExpiredJob(ctx.deps, jobId);

    expect(await sessionsOfTom()).toEqual([live.sessionId]);
    const keys = await ctx.db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('user_id', '=', tom.id)
      .orderBy('key')
      .execute();
    expect(keys.map((r) => r.key)).toEqual(['fresh', 'last-moment']);
    // Nothing else in this file's database has expired: the counts are exactly Tom's.
    expect(summary).toMatchObject({ sessions: 1, idempotency_keys: 1 });
    const run = await ctx.db.selectFrom('job_runs').selectAll().where('job_id', '=', jobId).executeTakeFirstOrThrow();
    expect(run.status).toBe('succeeded');
    expect(run.summary).toEqual(summary);
  });
});
