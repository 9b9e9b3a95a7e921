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

  it('refuses production without an encryption key, no longer asks for SESSION_SECRET, and turns emulators off', () => {
    const p = problems({ NODE_ENV: 'production', MAIL_TRANSPORT: 'outbox' });
    expect(p).toEqual([
      'ENCRYPTION_KEY: required in production (32 bytes as 64 hex characters or base64: openssl rand -hex 32)',
    ]);
    const c = loadConfig({
      NODE_ENV: 'production',
      ENCRYPTION_KEY: 'ab'.repeat(32),
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: 'smtp://mail.example.test:587',
    });
    expect(c.emulatorsEnabled).toBe(false);
    expect(c.cookieName).toBe('__Host-sp_session');
  });

  it('refuses an outbox in production unless asked for explicitly', () => {
    const base = { NODE_ENV: 'production', ENCRYPTION_KEY: 'ab'.repeat(32) };
    expect(problems(base)[0]).toMatch(/MAIL_TRANSPORT/);
    expect(loadConfig({ ...base, MAIL_TRANSPORT: 'outbox' }).mailTransport).toBe('outbox');
  });
});
