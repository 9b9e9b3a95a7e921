import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { deadlinesOf, nextStepOf, noticeNumber, terminationTime } from '../../src/domain/dunning/policy.ts';

const config = { DUNNING_SUSPEND_AFTER_HOURS: 24, DUNNING_TERMINATE_AFTER_DAYS: 7 };
const since = new Date('2026-12-01T10:00:00Z');
const at = (iso: string) => new Date(iso);
const open = {
  arrears_since: since,
  extended_until: null,
  exempt_reason: null,
  suspended_at: null,
  final_notice_at: null,
  final_notice_deadline: null,
  terminated_at: null,
};

describe('dunning deadlines', () => {
  it('suspend after DUNNING_SUSPEND_AFTER_HOURS, delete after DUNNING_TERMINATE_AFTER_DAYS, final notice 24 h before', () => {
    expect(deadlinesOf(open, config)).toEqual({
      suspendAt: at('2026-12-02T10:00:00Z'),
      terminateAt: at('2026-12-08T10:00:00Z'),
      finalNoticeAt: at('2026-12-07T10:00:00Z'),
    });
  });

  it('an extended deadline moves the deletion there and the suspension by as much; an earlier one moves nothing', () => {
    expect(deadlinesOf({ ...open, extended_until: at('2026-12-10T10:00:00Z') }, config)).toEqual({
      suspendAt: at('2026-12-04T10:00:00Z'),
      terminateAt: at('2026-12-10T10:00:00Z'),
      finalNoticeAt: at('2026-12-09T10:00:00Z'),
    });
    expect(deadlinesOf({ ...open, extended_until: at('2026-12-03T00:00:00Z') }, config)).toEqual(
      deadlinesOf(open, config),
    );
  });

  it('never deletes less than 24 h after the final notice went out, even when it went out late', () => {
    const d = deadlinesOf(open, config);
    expect(terminationTime(d, at('2026-12-07T10:00:00Z'))).toEqual(at('2026-12-08T10:00:00Z'));
    expect(terminationTime(d, at('2026-12-08T09:00:00Z'))).toEqual(at('2026-12-09T09:00:00Z'));
  });

  it('numbers the reminders by whole days in arrears', () => {
    expect(noticeNumber(since, since)).toBe(0);
    expect(noticeNumber(since, at('2026-12-02T09:59:59Z'))).toBe(0);
    expect(noticeNumber(since, at('2026-12-02T10:00:00Z'))).toBe(1);
  });

  it('says what comes next: suspension, final notice, deletion, nothing when exempt or done', () => {
    const now = at('2026-12-01T12:00:00Z');
    expect(nextStepOf(open, config, now)).toEqual({ step: 'suspension', at: at('2026-12-02T10:00:00Z') });
    const suspended = { ...open, suspended_at: at('2026-12-02T10:00:00Z') };
    expect(nextStepOf(suspended, config, now)).toEqual({ step: 'final_notice', at: at('2026-12-07T10:00:00Z') });
    const noticed = {
      ...suspended,
      final_notice_at: at('2026-12-07T10:00:00Z'),
      final_notice_deadline: at('2026-12-08T10:00:00Z'),
    };
    expect(nextStepOf(noticed, config, now)).toEqual({ step: 'termination', at: at('2026-12-08T10:00:00Z') });
    // A later deadline needs a final notice of its own.
    expect(nextStepOf({ ...noticed, extended_until: at('2026-12-20T00:00:00Z') }, config, now).step).toBe(
      'final_notice',
    );
    expect(nextStepOf({ ...open, exempt_reason: 'Invoice customer' }, config, now)).toEqual({ step: 'none', at: null });
    expect(nextStepOf({ ...noticed, terminated_at: at('2026-12-08T10:00:00Z') }, config, now).step).toBe('none');
  });
});

describe('dunning configuration', () => {
  const env = { NODE_ENV: 'test' };
  it('defaults to 24 hours and 7 days', () => {
    expect(loadConfig(env)).toMatchObject({ DUNNING_SUSPEND_AFTER_HOURS: 24, DUNNING_TERMINATE_AFTER_DAYS: 7 });
  });

  it('refuses a suspension that would not come before the final notice, and values that are not whole numbers', () => {
    expect(() => loadConfig({ ...env, DUNNING_SUSPEND_AFTER_HOURS: '150', DUNNING_TERMINATE_AFTER_DAYS: '7' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ ...env, DUNNING_SUSPEND_AFTER_HOURS: '1.5' })).toThrow(/DUNNING_SUSPEND_AFTER_HOURS/);
    expect(() => loadConfig({ ...env, DUNNING_TERMINATE_AFTER_DAYS: '1' })).toThrow(/DUNNING_TERMINATE_AFTER_DAYS/);
    expect(loadConfig({ ...env, DUNNING_SUSPEND_AFTER_HOURS: '144', DUNNING_TERMINATE_AFTER_DAYS: '7' })).toMatchObject(
      {
        DUNNING_SUSPEND_AFTER_HOURS: 144,
      },
    );
  });
});
