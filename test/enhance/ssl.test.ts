import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnhanceClient } from '../../src/providers/enhance/index.ts';
import { hostedSite, onboard, rejection, startWorld, type World } from './helpers.ts';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBuploaded\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIBsecretkeymaterial\n-----END PRIVATE KEY-----\n';

describe('Enhance client and emulator: SSL certificates', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld({ jobMs: 3_600_000 });
  });
  afterEach(async () => {
    await w.emu.close();
  });

  const domain = () => hostedSite(w);

  it("issues a Let's Encrypt certificate asynchronously, then forces HTTPS", async () => {
    const { client, domain: name, domainId } = await domain();
    expect(await client.getCertificate(domainId)).toBeNull();
    await expect(client.setForceHttps(domainId, true)).rejects.toMatchObject({ status: 404 });
    await client.issueLetsEncrypt(domainId);
    expect(await client.getCertificate(domainId)).toBeNull();
    w.emu.finishJobs();
    const cert = await client.getCertificate(domainId);
    expect(cert).toMatchObject({ cn: name, issuer: "Let's Encrypt", forceHttps: false });
    expect(Date.parse(cert!.expires!) - Date.parse(cert!.issued!)).toBe(90 * 86_400_000);
    expect(Object.keys(cert!)).not.toContain('key');
    await client.setForceHttps(domainId, true);
    expect(w.emu.requests().at(-1)).toMatchObject({ method: 'PUT', body: true, status: 200 });
    expect((await client.getCertificate(domainId))!.forceHttps).toBe(true);
  });

  it('leaves no certificate when issuance fails, and installs an uploaded one at once', async () => {
    const { client, domainId } = await domain();
    w.emu.failNextJobs();
    await client.issueLetsEncrypt(domainId);
    w.emu.finishJobs();
    expect(await client.getCertificate(domainId)).toBeNull();

    expect(await rejection(client.uploadCertificate(domainId, { cert: 'not pem', key: KEY }))).toMatchObject({
      status: 400,
      detail: 'cert',
    });
    await client.uploadCertificate(domainId, { cert: CERT, key: KEY });
    expect((await client.getCertificate(domainId))!.issuer).toBe('Uploaded');
    expect(JSON.stringify(w.emu.requests())).not.toContain('secretkeymaterial');
  });

  it("refuses another organisation's token and unknown domains", async () => {
    const { client, orgId, domainId } = await domain();
    const other = await onboard(w);
    const foreign = createEnhanceClient({
      baseUrl: w.emu.url,
      token: w.emu.issueToken(other.orgId),
      masterOrgId: w.emu.masterOrgId,
    });
    expect(await rejection(foreign.issueLetsEncrypt(domainId))).toMatchObject({ status: 403 });
    expect(await rejection(client.issueLetsEncrypt(crypto.randomUUID()))).toMatchObject({ status: 404 });
    expect(orgId).not.toBe(other.orgId);
  });
});
