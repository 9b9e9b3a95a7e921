import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFirewalls } from '../../src/domain/firewalls/firewalls.ts';
import { toPermissions } from '../../src/domain/access/actor.ts';
import { ISO_UTC } from '../api/client.ts';
import { activityOf } from '../api-keys/helpers.ts';
import { firewallWorld, rulesWith, WEB_RULES, type FirewallWorld } from './world.ts';

let w: FirewallWorld;
beforeAll(async () => {
  w = await firewallWorld('198.51.100.90');
});
afterAll(async () => w.close());

const as = (who: keyof FirewallWorld['people']) => {
  const token = w.people[who].token;
  return (method: string, path: string, body?: unknown) => w.api(method, path, { token, body });
};
/** What the provider has, read through the real client. */
const atProvider = async () => w.cloud.provider.firewalls();
const rowOf = (id: string) => w.ctx.db.selectFrom('firewalls').selectAll().where('id', '=', id).executeTakeFirst();
let made = 0;
async function firewall(who: 'victor' | 'gus' = 'victor', extra: Record<string, unknown> = {}) {
  const res = await as(who)('POST', '/firewalls', { label: `fw-${who}-${++made}`, rules: rulesWith(1), ...extra });
  if (res.status !== 201) throw new Error(`firewall: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; label: string };
}

describe('creating and reading firewalls', () => {
  it('Victor creates a web firewall: 201 with its rules, and the provider has it under a platform name', async () => {
    const res = await as('victor')('POST', '/firewalls', { label: 'Web servers', rules: WEB_RULES });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      label: 'Web servers',
      rules: {
        inbound_policy: 'DROP',
        outbound_policy: 'ACCEPT',
        inbound: [
          {
            action: 'ACCEPT',
            protocol: 'TCP',
            ports: '22',
            addresses: ['203.0.113.0/24', '2001:db8::/32'],
            label: 'ssh',
          },
          { action: 'ACCEPT', protocol: 'TCP', ports: '80,443', addresses: ['0.0.0.0/0', '::/0'], label: 'web' },
          { action: 'ACCEPT', protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'], label: null },
        ],
        outbound: [
          { action: 'DROP', protocol: 'UDP', ports: '8000-9000', addresses: ['198.51.100.7'], label: 'no-games' },
        ],
      },
      servers: [],
      created_at: expect.stringMatching(ISO_UTC),
      updated_at: expect.stringMatching(ISO_UTC),
    });
    const row = await rowOf(res.body.id);
    const there = (await atProvider()).find((f) => f.id === row!.provider_firewall_id)!;
    expect(there.label).toBe(`sp-fw-${res.body.id.replace(/-/g, '').slice(0, 26)}`);
    expect(there.rules.inboundPolicy).toBe('DROP');
    expect(there.rules.inbound[0]).toMatchObject({
      protocol: 'TCP',
      ports: '22',
      ipv4: ['203.0.113.0/24'],
      ipv6: ['2001:db8::/32'],
    });
    expect(there.rules.inbound[2]).toMatchObject({ protocol: 'ICMP', ipv4: ['0.0.0.0/0'], ipv6: [] });
    expect(there.rules.outbound[0]).toMatchObject({ action: 'DROP', protocol: 'UDP', ports: '8000-9000' });
    const [logged] = await activityOf(w.ctx, 'firewall.created', w.people.victor.id);
    expect(logged).toMatchObject({ organization_id: w.acme, target_type: 'firewall', target_id: res.body.id });
  });

  it('lists and reads it for Vera (vps_view), not for Sam (403) nor Gus (404, and absent from his list)', async () => {
    const [fw] = (await as('vera')('GET', '/firewalls')).body.data;
    expect(fw.label).toBe('Web servers');
    expect((await as('vera')('GET', `/firewalls/${fw.id}`)).status).toBe(200);
    expect((await as('sam')('GET', '/firewalls')).status).toBe(403);
    expect((await as('gus')('GET', `/firewalls/${fw.id}`)).status).toBe(404);
    expect((await as('gus')('GET', '/firewalls')).body.data).toEqual([]);
    expect((await as('vera')('POST', '/firewalls', { label: 'mine', rules: rulesWith(1) })).status).toBe(403);
  });

  it('refuses bad rules with 422 naming each field, and the provider is never asked', async () => {
    const before = (await atProvider()).length;
    const bad = (rule: Record<string, unknown>) => ({
      label: 'bad rules',
      rules: {
        inbound_policy: 'DROP',
        outbound_policy: 'ACCEPT',
        inbound: [{ action: 'ACCEPT', protocol: 'TCP', addresses: ['0.0.0.0/0'], ...rule }],
      },
    });
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [bad({ ports: '0' }), 'rules.inbound.0.ports', /1 to 65535/],
      [bad({ ports: '9000-8000' }), 'rules.inbound.0.ports', /lower than the second/],
      [bad({ ports: '22;80' }), 'rules.inbound.0.ports', /22, 80,443 or 8000-9000/],
      [bad({ protocol: 'ICMP', ports: '7' }), 'rules.inbound.0.ports', /ICMP has no ports/],
      [bad({ protocol: 'GRE' }), 'rules.inbound.0.protocol', /TCP, UDP or ICMP/],
      [bad({ addresses: ['10.0.0.300'] }), 'rules.inbound.0.addresses', /not an IPv4 or IPv6/],
      [bad({ addresses: ['::/129'] }), 'rules.inbound.0.addresses', /range size/],
      [bad({ addresses: ['10.0.0.0/33'] }), 'rules.inbound.0.addresses', /range size/],
      [bad({ addresses: [] }), 'rules.inbound.0.addresses', /at least one address/],
      [bad({ label: 'x' }), 'rules.inbound.0.label', /3 to 32/],
      [bad({ label: 'web <b>' }), 'rules.inbound.0.label', /letters, digits/],
      [{ label: 'too many', rules: rulesWith(26) }, 'rules', /at most 25 rules/],
      [{ label: 'no', rules: rulesWith(1) }, 'label', /3 to 32/],
      [
        { label: 'bad policy', rules: { ...rulesWith(1), inbound_policy: 'REJECT' } },
        'rules.inbound_policy',
        /other inbound traffic/,
      ],
    ];
    for (const [body, field, message] of cases) {
      const res = await as('victor')('POST', '/firewalls', body);
      expect(res.status, field).toBe(422);
      expect(res.body.error.fields[field], JSON.stringify(res.body.error.fields)).toMatch(message);
    }
    expect((await as('victor')('POST', '/firewalls', { label: 'exactly 25', rules: rulesWith(25) })).status).toBe(201);
    expect(await atProvider()).toHaveLength(before + 1);
  });

  it('refuses a second firewall with the same name in Acme, whatever the case; Globex may use it', async () => {
    const dup = await as('olive')('POST', '/firewalls', { label: 'WEB SERVERS', rules: rulesWith(1) });
    expect(dup.status).toBe(422);
    expect(dup.body.error.fields.label).toMatch(/already have a firewall called/);
    expect((await as('gus')('POST', '/firewalls', { label: 'Web servers', rules: rulesWith(1) })).status).toBe(201);
  });

  it('says what went wrong at the provider in its own words, keeps nothing, and never names the provider', async () => {
    w.cloud.emu.inject({ type: 'unavailable' }, { op: 'create_firewall', times: 10 });
    const res = await as('victor')('POST', '/firewalls', { label: 'During outage', rules: rulesWith(1) });
    w.cloud.emu.clearFaults();
    expect(res.status).toBe(503);
    expect(JSON.stringify(res.body)).not.toMatch(/linode|akamai/i);
    expect(await w.ctx.db.selectFrom('firewalls').select('id').where('label', '=', 'During outage').execute()).toEqual(
      [],
    );
    w.cloud.emu.inject({ type: 'validation', field: 'rules', reason: 'Linode says no' }, { op: 'create_firewall' });
    const refused = await as('victor')('POST', '/firewalls', { label: 'Refused', rules: rulesWith(1) });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).not.toMatch(/linode/i);
  });
});

describe('attaching and detaching servers', () => {
  it('Victor attaches acme-web-1: the provider guards its instance, and the server’s history and the log say so', async () => {
    const fw = await firewall();
    const res = await as('victor')('POST', `/firewalls/${fw.id}/servers`, { server_id: w.servers.web1.id });
    expect(res.status).toBe(200);
    expect(res.body.servers).toEqual([{ id: w.servers.web1.id, label: 'acme-web-1' }]);
    const row = await rowOf(fw.id);
    const there = (await atProvider()).find((f) => f.id === row!.provider_firewall_id)!;
    expect(there.devices.map((d) => d.instanceId)).toEqual([w.servers.web1.instanceId]);
    const action = await w.ctx.db
      .selectFrom('server_actions')
      .selectAll()
      .where('server_id', '=', w.servers.web1.id)
      .where('type', '=', 'attach_firewall')
      .executeTakeFirst();
    expect(action).toMatchObject({ status: 'completed', organization_id: w.acme, requested_by: w.people.victor.id });
    expect((await activityOf(w.ctx, 'firewall.attached', w.people.victor.id)).at(-1)!.details).toMatchObject({
      server_id: w.servers.web1.id,
    });
    const again = await as('victor')('POST', `/firewalls/${fw.id}/servers`, { server_id: w.servers.web1.id });
    expect(again.status).toBe(200);
    expect(again.body.servers).toHaveLength(1);
    expect(await listFirewalls(w.ctx.db, actorOf(w.people.victor.id), { serverId: w.servers.web1.id })).toMatchObject([
      { id: fw.id },
    ]);

    // One firewall per server: the next one is refused, naming the first.
    const other = await firewall();
    const taken = await as('victor')('POST', `/firewalls/${other.id}/servers`, { server_id: w.servers.web1.id });
    expect(taken.status).toBe(422);
    expect(taken.body.error.fields.server_id).toContain(`“${fw.label}”`);

    const detached = await as('victor')('DELETE', `/firewalls/${fw.id}/servers/${w.servers.web1.id}`);
    expect(detached.status).toBe(204);
    expect((await atProvider()).find((f) => f.id === row!.provider_firewall_id)!.devices).toEqual([]);
    expect((await as('victor')('GET', `/firewalls/${fw.id}`)).body.servers).toEqual([]);
    expect((await activityOf(w.ctx, 'firewall.detached', w.people.victor.id)).at(-1)!.target_id).toBe(fw.id);
    expect((await as('victor')('DELETE', `/firewalls/${fw.id}/servers/${w.servers.web1.id}`)).status).toBe(404);
  });

  it('creates a firewall already attached to the servers named', async () => {
    const res = await as('victor')('POST', '/firewalls', {
      label: 'born attached',
      rules: rulesWith(2),
      server_ids: [w.servers.web2.id],
    });
    expect(res.status).toBe(201);
    expect(res.body.servers).toEqual([{ id: w.servers.web2.id, label: 'acme-web-2' }]);
    await as('victor')('DELETE', `/firewalls/${res.body.id}/servers/${w.servers.web2.id}`);
  });

  it('refuses a server that never came to exist (422) and a deleted one (404)', async () => {
    const fw = await firewall();
    const failed = await as('victor')('POST', `/firewalls/${fw.id}/servers`, { server_id: w.servers.failed.id });
    expect(failed.status).toBe(422);
    expect(failed.body.error.fields.server_id).toMatch(/not running anywhere yet/);
    expect(
      (await as('victor')('POST', `/firewalls/${fw.id}/servers`, { server_id: w.servers.deleted.id })).status,
    ).toBe(404);
  });
});

describe('two people attaching one server at once', () => {
  it('gives it one firewall: one attach succeeds, the other is refused, and the provider agrees', async () => {
    const server = w.servers.web2.id;
    const [a, b] = [await firewall(), await firewall()];
    const results = await Promise.all([
      as('victor')('POST', `/firewalls/${a.id}/servers`, { server_id: server }),
      as('olive')('POST', `/firewalls/${b.id}/servers`, { server_id: server }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    const rows = await w.ctx.db
      .selectFrom('firewall_servers')
      .select('firewall_id')
      .where('server_id', '=', server)
      .execute();
    expect(rows).toHaveLength(1);
    const winner = (await rowOf(rows[0]!.firewall_id))!.provider_firewall_id;
    const guarding = (await atProvider()).filter((f) =>
      f.devices.some((d) => d.instanceId === w.servers.web2.instanceId),
    );
    expect(guarding.map((f) => f.id)).toEqual([winner]);
    await as('victor')('DELETE', `/firewalls/${rows[0]!.firewall_id}/servers/${server}`);
  });
});

describe('another organization’s firewalls and servers (IDOR)', () => {
  it('refuses every cross-organization move with 404 and changes nothing, here or at the provider', async () => {
    const acmeFw = await firewall('victor');
    await as('victor')('POST', `/firewalls/${acmeFw.id}/servers`, { server_id: w.servers.web2.id });
    const globexFw = await firewall('gus');
    await as('gus')('POST', `/firewalls/${globexFw.id}/servers`, { server_id: w.servers.globexDb.id });
    const providerBefore = JSON.stringify(await atProvider());
    const rowsBefore = JSON.stringify(
      await w.ctx.db.selectFrom('firewall_servers').selectAll().orderBy('server_id').execute(),
    );

    const attempts: Array<[string, () => Promise<{ status: number; body: unknown }>]> = [
      [
        'Gus attaches Acme’s server to his firewall',
        () => as('gus')('POST', `/firewalls/${globexFw.id}/servers`, { server_id: w.servers.web1.id }),
      ],
      [
        'Victor attaches Globex’s server to Acme’s firewall',
        () => as('victor')('POST', `/firewalls/${acmeFw.id}/servers`, { server_id: w.servers.globexDb.id }),
      ],
      [
        'Gus attaches his server to Acme’s firewall',
        () => as('gus')('POST', `/firewalls/${acmeFw.id}/servers`, { server_id: w.servers.globexDb.id }),
      ],
      [
        'Gus detaches Acme’s server from Acme’s firewall',
        () => as('gus')('DELETE', `/firewalls/${acmeFw.id}/servers/${w.servers.web2.id}`),
      ],
      [
        'Gus detaches Acme’s server from his own firewall',
        () => as('gus')('DELETE', `/firewalls/${globexFw.id}/servers/${w.servers.web2.id}`),
      ],
      [
        'Victor detaches Globex’s server from Globex’s firewall',
        () => as('victor')('DELETE', `/firewalls/${globexFw.id}/servers/${w.servers.globexDb.id}`),
      ],
      [
        'Victor detaches Globex’s server from Acme’s firewall',
        () => as('victor')('DELETE', `/firewalls/${acmeFw.id}/servers/${w.servers.globexDb.id}`),
      ],
      ['Gus edits Acme’s firewall', () => as('gus')('PATCH', `/firewalls/${acmeFw.id}`, { rules: rulesWith(3) })],
      [
        'Gus renames Acme’s firewall',
        () => as('gus')('PATCH', `/firewalls/${acmeFw.id}`, { label: 'globex owns this' }),
      ],
      ['Gus deletes Acme’s firewall', () => as('gus')('DELETE', `/firewalls/${acmeFw.id}`)],
      [
        'Gus creates a firewall on Acme’s server',
        () =>
          as('gus')('POST', '/firewalls', { label: 'sneaky', rules: rulesWith(1), server_ids: [w.servers.web1.id] }),
      ],
      ['a malformed id', () => as('victor')('POST', `/firewalls/${acmeFw.id}/servers`, { server_id: "1' or '1'='1" })],
    ];
    for (const [what, attempt] of attempts) {
      const res = await attempt();
      expect(res.status, what).toBe(404);
      expect(JSON.stringify(res.body), what).not.toMatch(/acme-web|globex-db/);
    }
    expect(JSON.stringify(await atProvider())).toBe(providerBefore);
    expect(
      JSON.stringify(await w.ctx.db.selectFrom('firewall_servers').selectAll().orderBy('server_id').execute()),
    ).toBe(rowsBefore);
    expect((await rowOf(acmeFw.id))!.label).toBe(acmeFw.label);
    expect(await w.ctx.db.selectFrom('firewalls').select('id').where('label', '=', 'sneaky').execute()).toEqual([]);
  });
});

describe('changing and deleting a firewall', () => {
  it('replaces the rules at the provider and here, and renames it', async () => {
    const fw = await firewall();
    const res = await as('victor')('PATCH', `/firewalls/${fw.id}`, { label: 'renamed fw', rules: WEB_RULES });
    expect(res.status).toBe(200);
    expect(res.body.label).toBe('renamed fw');
    expect(res.body.rules.inbound).toHaveLength(3);
    const row = await rowOf(fw.id);
    const there = (await atProvider()).find((f) => f.id === row!.provider_firewall_id)!;
    expect(there.rules.inbound.map((r) => r.ports)).toEqual(['22', '80,443', null]);
    expect((await activityOf(w.ctx, 'firewall.updated', w.people.victor.id)).at(-1)!.details).toMatchObject({
      name: 'renamed fw',
      renamed_from: fw.label,
    });
  });

  it('refuses a name another firewall of Acme has before asking the provider to change the rules', async () => {
    const [first, second] = [await firewall(), await firewall()];
    const row = await rowOf(second.id);
    const res = await as('victor')('PATCH', `/firewalls/${second.id}`, {
      label: first.label.toUpperCase(),
      rules: WEB_RULES,
    });
    expect(res.status).toBe(422);
    expect(res.body.error.fields.label).toMatch(/already have a firewall called/);
    const there = (await atProvider()).find((f) => f.id === row!.provider_firewall_id)!;
    expect(there.rules.inbound.map((r) => r.ports)).toEqual(['1000']);
    expect((await rowOf(second.id))!.label).toBe(second.label);
  });

  it('keeps the old rules when the provider fails, and says so without its name', async () => {
    const fw = await firewall();
    const before = (await rowOf(fw.id))!.rules;
    w.cloud.emu.inject({ type: 'server_error' }, { op: 'update_firewall_rules', times: 10 });
    const res = await as('victor')('PATCH', `/firewalls/${fw.id}`, { rules: WEB_RULES });
    w.cloud.emu.clearFaults();
    expect(res.status).toBe(503);
    expect(JSON.stringify(res.body)).not.toMatch(/linode/i);
    expect((await rowOf(fw.id))!.rules).toEqual(before);
  });

  it('deletes it at the provider and here, freeing its servers', async () => {
    const fw = await firewall('victor', { server_ids: [w.servers.web1.id] });
    const providerId = (await rowOf(fw.id))!.provider_firewall_id;
    expect((await as('vera')('DELETE', `/firewalls/${fw.id}`)).status).toBe(403);
    expect((await as('victor')('DELETE', `/firewalls/${fw.id}`)).status).toBe(204);
    expect((await atProvider()).map((f) => f.id)).not.toContain(providerId);
    expect((await rowOf(fw.id))!.deleted_at).not.toBeNull();
    expect(
      await w.ctx.db.selectFrom('firewall_servers').select('server_id').where('firewall_id', '=', fw.id).execute(),
    ).toEqual([]);
    expect((await as('victor')('GET', `/firewalls/${fw.id}`)).status).toBe(404);
    expect((await as('victor')('DELETE', `/firewalls/${fw.id}`)).status).toBe(404);
    // Its name is free again, and its server can take another firewall.
    expect(
      (
        await as('victor')('POST', '/firewalls', {
          label: fw.label,
          rules: rulesWith(1),
          server_ids: [w.servers.web1.id],
        })
      ).status,
    ).toBe(201);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await w.api('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/firewalls',
        '/firewalls/{id}',
        '/firewalls/{id}/servers',
        '/firewalls/{id}/servers/{server_id}',
      ]),
    );
  });
});

function actorOf(userId: string) {
  return {
    userId,
    isPlatformAdmin: false,
    organizationId: w.acme,
    roleName: 'vps_manager',
    permissions: toPermissions(['vps_view', 'vps_manage']),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.1', userAgent: null },
  };
}
