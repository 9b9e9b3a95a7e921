import type { Actor } from '../../src/domain/access/actor.ts';
import { getFraudSettings, type FraudSettings } from '../../src/domain/settings/fraud.ts';
import { putSetting } from '../../src/domain/settings/store.ts';
import {
  startFraudLabsProEmulator,
  type FraudLabsProEmulator,
} from '../../src/providers/fraudlabspro/emulator/index.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';

/**
 * Screening against the FraudLabs Pro emulator over real HTTP (deterministic verdicts):
 * IP 198.51.100.99 is a Tor exit (score 70), 198.51.100.66 a VPN (40); @mailinator.test is
 * disposable (45); `name+review@…` forces REVIEW, `+scoreNN` the score; top-ups of x.66 score
 * 66 (review), x.88 score 88 (reject). Everything else: score 10, APPROVE.
 */
export const TOR_IP = '198.51.100.99';
export const VPN_IP = '198.51.100.66';
export const CLEAN_IP = '203.0.113.10';

export async function fraudContext(
  env: Record<string, string> = {},
): Promise<{ ctx: TestContext; emu: FraudLabsProEmulator; close(): Promise<void> }> {
  const emu = await startFraudLabsProEmulator();
  const ctx = await createTestContext({
    FRAUDLABSPRO_API_KEY: 'flp-test-key-0123456789',
    FRAUDLABSPRO_BASE_URL: emu.url,
    RATE_LIMIT_AUTH_ACTIONS: '10000',
    LOGIN_IP_LOCKOUT_ATTEMPTS: '10000',
    ...env,
  });
  return {
    ctx,
    emu,
    close: async () => {
      await ctx.close();
      await emu.close();
    },
  };
}

/** Changes some fraud settings directly (the settings page has its own tests). */
export async function setFraudSettings(ctx: TestContext, change: Partial<FraudSettings>) {
  const current = await getFraudSettings(ctx.deps);
  await putSetting(ctx.db, 'fraud', { ...current, ...change }, null, ctx.clock.now());
}

export const DEFAULT_FRAUD_SETTINGS: FraudSettings = {
  enabled: true,
  scoreThreshold: 70,
  blockProxyVpnTor: true,
  blockDisposableEmail: true,
  whenUnavailable: 'fail_open',
};

export const staff = (userId: string): Actor => ({
  userId,
  isPlatformAdmin: true,
  organizationId: null,
  roleName: null,
  permissions: new Set(),
  impersonatorUserId: null,
  apiKeyId: null,
  origin: { ip: '192.0.2.9', userAgent: null },
});

export const count = async (
  ctx: TestContext,
  table: 'users' | 'organizations' | 'wallets' | 'emails' | 'fraud_checks' | 'sessions',
) =>
  Number(
    (
      await ctx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
