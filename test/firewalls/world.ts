import { person, tokenFor, apiClient } from '../api/client.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedServerCatalogue, startTestCloud, type SeededCatalogue, type TestCloud } from '../helpers/servers.ts';
import { insertServer } from './servers.ts';

/**
 * The firewall tests' world: a test cloud, Acme (Olive owns it; Victor manages its servers,
 * Vera only looks, Sam is support without vps_view) with two running servers, one that failed
 * before it existed and one deleted; Globex (Gus) with a running server of its own.
 */
export interface FirewallWorld {
  ctx: TestContext;
  cloud: TestCloud;
  catalogue: SeededCatalogue;
  acme: string;
  globex: string;
  people: Record<'olive' | 'victor' | 'vera' | 'sam' | 'gus', { id: string; email: string; token: string }>;
  servers: Record<
    'web1' | 'web2' | 'failed' | 'deleted' | 'globexDb',
    { id: string; label: string; instanceId: string | null }
  >;
  api: ReturnType<typeof apiClient>;
  close(): Promise<void>;
}

export async function firewallWorld(ip: string): Promise<FirewallWorld> {
  const cloud = await startTestCloud();
  const ctx = await createTestContext({}, { cloud: cloud.provider });
  const catalogue = await seedServerCatalogue(ctx.db);
  const [olive, victor, vera, sam, gus] = await Promise.all(
    ['Olive Owner', 'Victor Vps', 'Vera Viewer', 'Sam Support', 'Gus Globex'].map((n) => person(ctx, n)),
  );
  const acme = olive!.organizationId;
  await joinAs(ctx, acme, victor!.id, 'vps_manager');
  await joinAs(ctx, acme, vera!.id, 'viewer');
  await joinAs(ctx, acme, sam!.id, 'support_agent');
  const withToken = async (p: { id: string; email: string }) => ({
    id: p.id,
    email: p.email,
    token: await tokenFor(ctx, p.email, ip),
  });
  const servers = {
    web1: await insertServer(ctx, catalogue, acme, { label: 'acme-web-1', cloud }),
    web2: await insertServer(ctx, catalogue, acme, { label: 'acme-web-2', cloud }),
    failed: await insertServer(ctx, catalogue, acme, { label: 'acme-failed', status: 'failed' }),
    deleted: await insertServer(ctx, catalogue, acme, { label: 'acme-gone', cloud, deleted: true }),
    globexDb: await insertServer(ctx, catalogue, gus!.organizationId, { label: 'globex-db', cloud }),
  };
  cloud.emu.settle();
  return {
    ctx,
    cloud,
    catalogue,
    acme,
    globex: gus!.organizationId,
    people: {
      olive: await withToken(olive!),
      victor: await withToken(victor!),
      vera: await withToken(vera!),
      sam: await withToken(sam!),
      gus: await withToken(gus!),
    },
    servers,
    api: apiClient(ctx, ip),
    async close() {
      await ctx.close();
      await cloud.close();
    },
  };
}

/** Rules with `n` inbound TCP rules (ports 1000+i from anywhere). */
export const rulesWith = (n: number) => ({
  inbound_policy: 'DROP',
  outbound_policy: 'ACCEPT',
  inbound: Array.from({ length: n }, (_, i) => ({
    action: 'ACCEPT',
    protocol: 'TCP',
    ports: String(1000 + i),
    addresses: ['0.0.0.0/0'],
    label: null,
  })),
  outbound: [],
});

/** A typical web server's rules. */
export const WEB_RULES = {
  inbound_policy: 'DROP',
  outbound_policy: 'ACCEPT',
  inbound: [
    { action: 'ACCEPT', protocol: 'TCP', ports: '22', addresses: ['203.0.113.0/24', '2001:db8::/32'], label: 'ssh' },
    { action: 'ACCEPT', protocol: 'TCP', ports: '80, 443', addresses: ['0.0.0.0/0', '::/0'], label: 'web' },
    { action: 'ACCEPT', protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'], label: null },
  ],
  outbound: [{ action: 'DROP', protocol: 'UDP', ports: '8000-9000', addresses: ['198.51.100.7'], label: 'no-games' }],
};
