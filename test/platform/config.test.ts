import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('configuration', () => {
  it('runs on defaults in development, with the outbox and emulators on', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.mailTransport).toBe('outbox');
    expect(c.emulatorsEnabled).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every bad value on its own line', () => {
    const p = problems({ PORT: 'eighty', DATABASE_URL: 'mysql://x', RATE_LIMIT_ANONYMOUS: '-1' });
    expect(p).toHaveLength(3);
    expect(p.join('\n')).toMatch(/PORT/);
    expect(p.join('\n')).toMatch(/DATABASE_URL: must be a postgres/);
  });

  it('refuses production without strong secrets and turns emulators off', () => {
    const p = problems({ NODE_ENV: 'production', SESSION_SECRET: 'short' });
    expect(p).toContain('SESSION_SECRET: required in production, at least 32 characters');
    expect(p.some((l) => l.startsWith('ENCRYPTION_KEY'))).toBe(true);
    const c = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      ENCRYPTION_KEY: 'ab'.repeat(32),
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: 'smtp://mail.example.test:587',
    });
    expect(c.emulatorsEnabled).toBe(false);
    expect(c.cookieName).toBe('__Host-sp_session');
  });

  it('refuses an outbox in production unless asked for explicitly', () => {
    const base = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), ENCRYPTION_KEY: 'ab'.repeat(32) };
    expect(problems(base)[0]).toMatch(/MAIL_TRANSPORT/);
    expect(loadConfig({ ...base, MAIL_TRANSPORT: 'outbox' }).mailTransport).toBe('outbox');
  });
});
