import type { DbOrTx } from '../../src/db/index.ts';
import { encryptSecret } from '../../src/lib/crypto.ts';
import type { Config } from '../../src/config.ts';
import type { CloudProvider } from '../../src/providers/cloud.ts';
import { createLinodeProvider } from '../../src/providers/linode/index.ts';
import {
  createSteppedClock,
  startLinodeEmulator,
  type LinodeEmulator,
  type LinodeEmulatorOptions,
  type SteppedClock,
} from '../../src/providers/linode/emulator/index.ts';

/**
 * Servers in tests: a Linode emulator of the test's own (stepped clock, so transitions happen
 * when the test says), the real Linode provider client aimed at it, and a sellable catalogue
 * written straight into the tables the admin catalogue writes.
 *
 *   const cloud = await startTestCloud();
 *   const ctx = await createTestContext({}, { cloud: cloud.provider });
 *   const catalogue = await seedServerCatalogue(ctx.db);        // an emulated provider row → cloud.provider
 *   ...
 *   cloud.emu.advance(60_000)   // provisioning → running
 */

export interface TestCloud {
  emu: LinodeEmulator;
  clock: SteppedClock;
  provider: CloudProvider;
  close(): Promise<void>;
}

/** The Linode emulator on a stepped clock, and the real provider client for it (no real waits between retries). */
export async function startTestCloud(opts: LinodeEmulatorOptions = {}): Promise<TestCloud> {
  const clock = createSteppedClock();
  const emu = await startLinodeEmulator({ clock, ...opts });
  const provider = createLinodeProvider({
    baseUrl: emu.url,
    token: emu.token,
    timeoutMs: 2_000,
    random: () => 0.5,
    sleep: async (ms: number) => clock.advance(ms),
  });
  return { emu, clock, provider, close: () => emu.close() };
}

/** A monthly price as micro-units: `usd(12)` = 12.00. */
export const usd = (whole: number, cents = 0) => BigInt(whole) * 1_000_000n + BigInt(cents) * 10_000n;

export interface SeededPlan {
  id: string;
  name: string;
  providerType: string;
  /** Customer's monthly price (base + markup) and the backups add-on, micro-units. */
  monthly: bigint;
  backupsMonthly: bigint;
  regions: string[];
}

export interface SeededCatalogue {
  providerId: string;
  plans: { small: SeededPlan; medium: SeededPlan; dedicated: SeededPlan };
  regions: string[];
  images: string[];
  /** The WordPress app (StackScript) with its customer-fillable fields. */
  appId: string;
}

/** Prices in force since this hour, so every test's "now" is after it. */
export const PRICES_FROM = new Date('2020-01-01T00:00:00Z');

/**
 * A provider with regions, images, categories, three plans and one app, as an admin would have
 * set them up. `emulated: true` (default): the row is answered by the context's `cloud`
 * override. `emulated: false` with `baseUrl` and `token` (and `config` for the keys): a real
 * provider row whose encrypted token the connector opens.
 */
export async function seedServerCatalogue(
  db: DbOrTx,
  opts: { emulated?: boolean; baseUrl?: string; token?: string; config?: Config; name?: string } = {},
): Promise<SeededCatalogue> {
  const emulated = opts.emulated ?? true;
  const provider = await db
    .insertInto('cloud_providers')
    .values({
      kind: 'linode',
      name: opts.name ?? 'Test cloud',
      emulated,
      base_url: emulated ? null : (opts.baseUrl ?? null),
      token_ciphertext:
        emulated || !opts.token || !opts.config ? null : encryptSecret(opts.config.encryptionKeys, opts.token),
      health: 'ok',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const providerId = provider.id;

  const regions = [
    { region_id: 'us-east', label: 'New York', country: 'us', display_order: 1 },
    { region_id: 'eu-central', label: 'Frankfurt', country: 'de', display_order: 2 },
    { region_id: 'ap-south', label: 'Singapore', country: 'sg', display_order: 3 },
  ];
  await db
    .insertInto('server_regions')
    .values(regions.map((r) => ({ provider_id: providerId, ...r })))
    .execute();
  await db
    .insertInto('server_categories')
    .values([
      { provider_id: providerId, provider_class: 'nanode', name: 'Starter', display_order: 1 },
      { provider_id: providerId, provider_class: 'standard', name: 'Shared CPU', display_order: 2 },
      { provider_id: providerId, provider_class: 'dedicated', name: 'Dedicated CPU', display_order: 3 },
    ])
    .execute();
  const images = ['ubuntu24.04', 'debian12', 'almalinux9'];
  await db
    .insertInto('server_images')
    .values([
      { provider_id: providerId, image_id: images[0]!, label: 'Ubuntu 24.04 LTS', display_order: 1 },
      { provider_id: providerId, image_id: images[1]!, label: 'Debian 12', display_order: 2 },
      { provider_id: providerId, image_id: images[2]!, label: 'AlmaLinux 9', display_order: 3 },
    ])
    .execute();

  const suffix = Math.random().toString(36).slice(2, 7);
  const plan = async (
    name: string,
    providerType: string,
    category: string,
    specs: [vcpus: number, memoryMb: number, diskGb: number, transferGb: number],
    base: bigint,
    markup: bigint,
    backups: bigint,
    planRegions: string[],
  ): Promise<SeededPlan> => {
    const row = await db
      .insertInto('server_plans')
      .values({
        provider_id: providerId,
        provider_type: providerType,
        name: `${name} ${suffix}`,
        category,
        vcpus: specs[0],
        memory_mb: specs[1],
        disk_gb: specs[2],
        transfer_gb: specs[3],
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('server_plan_regions')
      .values(planRegions.map((region_id) => ({ plan_id: row.id, region_id })))
      .execute();
    await db
      .insertInto('server_plan_prices')
      .values({
        plan_id: row.id,
        base_monthly: base,
        markup_monthly: markup,
        backups_monthly: backups,
        currency: 'USD',
        effective_from: PRICES_FROM,
      })
      .execute();
    return {
      id: row.id,
      name: `${name} ${suffix}`,
      providerType,
      monthly: base + markup,
      backupsMonthly: backups,
      regions: planRegions,
    };
  };
  const small = await plan('Small', 'g6-standard-1', 'Shared CPU', [1, 2048, 50, 2000], usd(12), usd(3), usd(3), [
    'us-east',
    'eu-central',
    'ap-south',
  ]);
  const medium = await plan('Medium', 'g6-standard-2', 'Shared CPU', [2, 4096, 80, 4000], usd(24), usd(6), usd(6), [
    'us-east',
    'eu-central',
  ]);
  const dedicated = await plan(
    'Dedicated',
    'g6-dedicated-2',
    'Dedicated CPU',
    [2, 4096, 80, 4000],
    usd(36),
    usd(9),
    usd(8),
    ['us-east'],
  );

  const app = await db
    .insertInto('server_apps')
    .values({
      provider_id: providerId,
      script_id: '401697',
      label: 'WordPress',
      description: 'WordPress on a LEMP stack',
      fields: ['soa_email_address', 'webserver', 'site_title'],
      display_order: 1,
    })
    .returning('id')
    .executeTakeFirstOrThrow();

  return {
    providerId,
    plans: { small, medium, dedicated },
    regions: regions.map((r) => r.region_id),
    images,
    appId: app.id,
  };
}
