import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostedSite, rejection, startWorld, type World } from './helpers.ts';

describe('Enhance client and emulator: domains, DNS and e-mail', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(async () => {
    await w.emu.close();
  });

  const site = () => hostedSite(w);

  it('lists the primary domain, adds an alias (once) and removes it, never the primary', async () => {
    const { client, orgId, siteId, domain, domainId } = await site();
    expect(await client.listWebsiteDomains(orgId, siteId)).toEqual([
      { domainId, websiteId: siteId, domain, mappingKind: 'primary', documentRoot: 'public_html' },
    ]);
    const alias = await client.addWebsiteDomain(orgId, siteId, { domain: `www2.${domain}` });
    expect((await client.listWebsiteDomains(orgId, siteId)).map((d) => d.mappingKind)).toEqual(['primary', 'alias']);
    expect(await rejection(client.addWebsiteDomain(orgId, siteId, { domain: `www2.${domain}` }))).toMatchObject({
      status: 403,
      detail: 'domain',
    });
    expect((await client.checkDomain(orgId, `www2.${domain}`)).status).toBe('inUseCurrentOrg');
    await client.deleteWebsiteDomain(orgId, siteId, alias);
    expect(await rejection(client.deleteWebsiteDomain(orgId, siteId, domainId))).toMatchObject({ status: 403 });
  });

  it('serves a zone with default records and creates, updates and deletes records checked per kind', async () => {
    const { client, orgId, siteId, domain, domainId } = await site();
    const zone = await client.getDnsZone(orgId, siteId, domainId);
    expect(zone.origin).toBe(domain);
    expect(zone.records.find((r) => r.kind === 'A')).toMatchObject({ name: '@', value: '203.0.113.10' });

    const id = await client.createDnsRecord(orgId, siteId, domainId, {
      kind: 'A',
      name: 'shop',
      value: '198.51.100.7',
      ttl: 300,
    });
    await client.updateDnsRecord(orgId, siteId, domainId, id, { value: '198.51.100.8' });
    const after = await client.getDnsZone(orgId, siteId, domainId);
    expect(after.records.find((r) => r.id === id)).toEqual({
      id,
      kind: 'A',
      name: 'shop',
      value: '198.51.100.8',
      ttl: 300,
      proxy: false,
    });

    for (const [record, field] of [
      [{ kind: 'A', name: 'x', value: '2001:db8::1' }, 'value'],
      [{ kind: 'AAAA', name: 'x', value: '198.51.100.1' }, 'value'],
      [{ kind: 'MX', name: '@', value: 'mail.example.test' }, 'value'],
      [{ kind: 'CNAME', name: 'bad name!', value: 'a.test.' }, 'name'],
      [{ kind: 'ALIAS', name: 'x', value: 'a.test.' }, 'kind'],
      [{ kind: 'TXT', name: 'x', value: 'ok', ttl: 5 }, 'ttl'],
    ] as const) {
      const err = await rejection(client.createDnsRecord(orgId, siteId, domainId, record as never));
      expect(err).toMatchObject({ kind: 'validation', status: 400, detail: field });
    }
    expect(
      await client.createDnsRecord(orgId, siteId, domainId, { kind: 'MX', name: '@', value: '20 mx2.example.test.' }),
    ).toMatch(/-/);
    await client.deleteDnsRecord(orgId, siteId, domainId, id);
    expect(await rejection(client.deleteDnsRecord(orgId, siteId, domainId, id))).toMatchObject({ status: 404 });
  });

  it('creates mailboxes and forwarders, refuses duplicates and a full plan, updates and deletes them', async () => {
    const { client, orgId, siteId, domain, domainId } = await site();
    await client.createEmail(orgId, siteId, domainId, { username: 'info', mailboxPassword: 'Mailbox-Pass-123' });
    await client.createEmail(orgId, siteId, domainId, { username: 'sales', forwarders: ['boss@elsewhere.test'] });
    expect(
      await rejection(
        client.createEmail(orgId, siteId, domainId, { username: 'INFO', mailboxPassword: 'Mailbox-Pass-123' }),
      ),
    ).toMatchObject({
      status: 409,
      kind: 'conflict',
    });
    expect(await rejection(client.createEmail(orgId, siteId, domainId, { username: 'nothing' }))).toMatchObject({
      status: 400,
      detail: 'forwarders',
    });
    const emails = await client.listEmails(orgId, siteId);
    expect(emails.map((e) => [e.address, e.hasMailbox])).toEqual([
      [`info@${domain}`, true],
      [`sales@${domain}`, false],
    ]);
    expect(emails[0]!.quota).toEqual({ usage: 0, total: 1024 ** 3 });

    // Starter allows five mailboxes: four more fit, the sixth is refused.
    for (const n of [1, 2, 3, 4])
      await client.createEmail(orgId, siteId, domainId, { username: `box${n}`, mailboxPassword: 'Mailbox-Pass-123' });
    const full = await rejection(
      client.createEmail(orgId, siteId, domainId, { username: 'box5', mailboxPassword: 'Mailbox-Pass-123' }),
    );
    expect(full).toMatchObject({ status: 403, detail: 'mailboxes' });
    const sub = (await client.listSubscriptions(orgId))[0]!;
    expect(sub.resources.find((r) => r.name === 'mailboxes')).toEqual({ name: 'mailboxes', total: 5, usage: 5 });

    await client.updateEmail(orgId, siteId, `info@${domain}`, {
      isCatchAll: true,
      forwarders: ['copy@elsewhere.test'],
    });
    expect(await client.getEmail(orgId, siteId, `info@${domain}`)).toMatchObject({
      isCatchAll: true,
      forwarders: ['copy@elsewhere.test'],
    });
    expect(
      await rejection(client.updateEmail(orgId, siteId, `info@${domain}`, { status: 'suspended' as never })),
    ).toMatchObject({
      status: 400,
    });
    await client.deleteEmail(orgId, siteId, `sales@${domain}`);
    expect(await rejection(client.getEmail(orgId, siteId, `sales@${domain}`))).toMatchObject({ status: 404 });
    const logged = JSON.stringify(w.emu.requests());
    expect(logged).not.toContain('Mailbox-Pass-123');
  });

  it('answers webmail SSO with a 302 to a fresh URL, read without following it', async () => {
    const { client, orgId, siteId, domain, domainId } = await site();
    await client.createEmail(orgId, siteId, domainId, { username: 'me', mailboxPassword: 'Mailbox-Pass-123' });
    const a = await client.webmailSsoUrl(orgId, siteId, `me@${domain}`);
    const b = await client.webmailSsoUrl(orgId, siteId, `me@${domain}`);
    expect(a).toMatch(new RegExp(`^${w.emu.url}/webmail/sso\\?otp=`));
    expect(a).not.toBe(b);
    expect(
      w.emu
        .requests()
        .filter((r) => r.path.endsWith('/sso'))
        .map((r) => r.status),
    ).toEqual([302, 302]);
  });
});
