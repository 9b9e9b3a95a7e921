import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFraudLabsProClient,
  FraudLabsProError,
  type FraudLabsProClientOptions,
  type ScreenOrderInput,
} from '../../src/providers/fraudlabspro/client.ts';
import {
  startFraudLabsProEmulator,
  type FraudLabsProEmulator,
  type FraudLabsProFailure,
} from '../../src/providers/fraudlabspro/emulator/index.ts';

const API_KEY = 'FLPTESTKEY0123456789ABCDEFGHIJKL';

const registration = (over: Partial<ScreenOrderInput> = {}): ScreenOrderInput => ({
  ip: '192.0.2.10',
  email: 'ada@lovelace.example',
  department: 'registration',
  ...over,
});

const topUp = (over: Partial<ScreenOrderInput> = {}): ScreenOrderInput => ({
  ip: '192.0.2.10',
  email: 'ada@lovelace.example',
  amount: '25.00',
  currency: 'USD',
  paymentMode: 'paypal',
  paymentGateway: 'paypal',
  orderId: 'TOPUP-0001',
  department: 'wallet_topup',
  ...over,
});

async function failureOf(p: Promise<unknown>): Promise<FraudLabsProError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FraudLabsProError);
  return err as FraudLabsProError;
}

describe('FraudLabs Pro client against the emulator', () => {
  let emu: FraudLabsProEmulator;
  beforeEach(async () => {
    emu = await startFraudLabsProEmulator({ apiKey: API_KEY });
  });
  afterEach(async () => {
    await emu.close();
  });
  const flp = (over: Partial<FraudLabsProClientOptions> = {}) =>
    createFraudLabsProClient({ apiKey: API_KEY, baseUrl: emu.url, timeoutMs: 2_000, ...over });

  it('a registration from an ordinary IP and address is approved with a low score and no flags', async () => {
    const result = await flp().screenOrder(registration());

    expect(result.decision).toBe('approve');
    expect(result.score).toBe(10);
    expect(result.transactionId).toMatch(/^\d{8}-[A-Z0-9]{6}$/);
    expect(result.flags).toEqual({
      proxy: false,
      vpn: false,
      tor: false,
      proxyType: null,
      ipBlacklisted: false,
      disposableEmail: false,
      emailBlacklisted: false,
      freeEmail: false,
      emailDomainExists: true,
      highRiskUsername: false,
    });
    expect(result.remainingCredits).toBe(499);
  });

  it('posts the v2 screen as a form with the key in the body, never in the URL, and asks for JSON', async () => {
    await flp().screenOrder(registration({ flpChecksum: 'abc123', username: 'ada' }));

    expect(emu.requests).toHaveLength(1);
    const req = emu.requests[0]!;
    expect(req).toMatchObject({
      method: 'POST',
      path: '/v2/order/screen',
      query: {},
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(req.body).toEqual({
      key: API_KEY,
      format: 'json',
      source: 'skypanel',
      source_version: '1.0',
      ip: '192.0.2.10',
      email: 'ada@lovelace.example',
      username: 'ada',
      flp_checksum: 'abc123',
      department: 'registration',
    });
  });

  it('a top-up is screened with its amount as a decimal string, currency, payment method, gateway and order id', async () => {
    const result = await flp().screenOrder(topUp());

    expect(result.decision).toBe('approve');
    expect(emu.requests[0]!.body).toMatchObject({
      amount: '25.00',
      currency: 'USD',
      payment_mode: 'paypal',
      payment_gateway: 'paypal',
      user_order_id: 'TOPUP-0001',
      department: 'wallet_topup',
    });
    expect(result.raw.user_order_id).toBe('TOPUP-0001');
  });

  it('a score of 60 comes back as REVIEW from FraudLabs Pro', async () => {
    const result = await flp().screenOrder(registration({ email: 'ada+score60@lovelace.example' }));

    expect(result).toMatchObject({ decision: 'review', score: 60 });
  });

  it('a score of 85 comes back as REJECT from FraudLabs Pro', async () => {
    const result = await flp().screenOrder(registration({ email: 'ada+score85@lovelace.example' }));

    expect(result).toMatchObject({ decision: 'reject', score: 85 });
    expect(result.rules).toContain('Reject when score >= 80');
  });

  it('a status tag forces the verdict without changing the score', async () => {
    const review = await flp().screenOrder(registration({ email: 'ada+review@lovelace.example' }));
    const reject = await flp().screenOrder(registration({ email: 'ada+reject@lovelace.example' }));

    expect(review).toMatchObject({ decision: 'review', score: 10 });
    expect(reject).toMatchObject({ decision: 'reject', score: 10 });
  });

  it('a top-up amount ending in .66 is held for review and one ending in .88 is rejected', async () => {
    const review = await flp().screenOrder(topUp({ amount: '25.66' }));
    const reject = await flp().screenOrder(topUp({ amount: '100.88' }));

    expect(review).toMatchObject({ decision: 'review', score: 66 });
    expect(reject).toMatchObject({ decision: 'reject', score: 88 });
  });

  it('a VPN address is reported as a proxy of type VPN', async () => {
    const result = await flp().screenOrder(registration({ ip: '198.51.100.66' }));

    expect(result.flags).toMatchObject({ proxy: true, vpn: true, tor: false, proxyType: 'VPN' });
    // FLP's own rules let it through; only our policy can block it.
    expect(result).toMatchObject({ decision: 'approve', score: 40 });
  });

  it('a Tor exit node is reported as a proxy of type TOR and FraudLabs Pro asks for review', async () => {
    const result = await flp().screenOrder(registration({ ip: '198.51.100.99' }));

    expect(result.flags).toMatchObject({ proxy: true, vpn: false, tor: true, proxyType: 'TOR' });
    expect(result).toMatchObject({ decision: 'review', score: 70 });
  });

  it('a data-centre or public proxy is a proxy but neither a VPN nor Tor', async () => {
    const dch = await flp().screenOrder(registration({ ip: '198.51.100.50' }));
    const pub = await flp().screenOrder(registration({ ip: '198.51.100.40' }));

    expect(dch.flags).toMatchObject({ proxy: true, vpn: false, tor: false, proxyType: 'DCH' });
    expect(pub.flags).toMatchObject({ proxy: true, vpn: false, tor: false, proxyType: 'PUB' });
  });

  it('a blacklisted IP is reported as such', async () => {
    const result = await flp().screenOrder(registration({ ip: '198.51.100.130' }));

    expect(result.flags).toMatchObject({ ipBlacklisted: true, proxy: false });
    expect(result.decision).toBe('review');
  });

  it('a disposable email domain is reported as disposable', async () => {
    const result = await flp().screenOrder(registration({ email: 'throwaway@mailinator.com' }));

    expect(result.flags).toMatchObject({ disposableEmail: true, freeEmail: false, emailBlacklisted: false });
    expect(result).toMatchObject({ decision: 'approve', score: 45 });
  });

  it('a free email provider is free but not disposable, and a blacklist tag marks the address blacklisted', async () => {
    const free = await flp().screenOrder(registration({ email: 'ada@gmail.com' }));
    const listed = await flp().screenOrder(registration({ email: 'ada+blacklist@lovelace.example' }));

    expect(free.flags).toMatchObject({ freeEmail: true, disposableEmail: false });
    expect(listed.flags).toMatchObject({ emailBlacklisted: true });
  });

  it('keeps the raw response with the exact FraudLabs Pro field names a policy reads', async () => {
    const result = await flp().screenOrder(registration({ ip: '198.51.100.66', email: 'x@mailinator.com' }));

    expect(result.raw.ip_geolocation).toMatchObject({
      ip: '198.51.100.66',
      is_proxy: true,
      proxy_type: 'VPN',
      is_in_blacklist: false,
    });
    expect(result.raw.email_address).toMatchObject({
      is_disposable: true,
      is_in_blacklist: false,
      is_domain_exist: true,
    });
    expect(result.raw).toMatchObject({
      fraudlabspro_id: result.transactionId,
      fraudlabspro_score: 75,
      fraudlabspro_status: 'REVIEW',
    });
    expect(JSON.stringify(result.raw)).not.toContain(API_KEY);
  });

  it('the same request screened twice gets the same verdict but a new transaction id and one credit each', async () => {
    const a = await flp().screenOrder(registration({ ip: '198.51.100.99' }));
    const b = await flp().screenOrder(registration({ ip: '198.51.100.99' }));

    expect({ d: b.decision, s: b.score, f: b.flags }).toEqual({ d: a.decision, s: a.score, f: a.flags });
    expect(b.transactionId).not.toBe(a.transactionId);
    expect(emu.credits()).toBe(498);
    expect(emu.transactions.size).toBe(2);
  });

  it('an IPv4-mapped IPv6 address is sent as plain IPv4', async () => {
    await flp().screenOrder(registration({ ip: '::ffff:198.51.100.66' }));

    expect(emu.requests[0]!.body.ip).toBe('198.51.100.66');
  });

  it('invalid input is refused for good before anything is sent', async () => {
    const cases: Array<Partial<ScreenOrderInput>> = [
      { ip: 'not-an-ip' },
      { amount: '1e3' },
      { amount: '-5.00' },
      { currency: 'usd' },
      { orderId: '0b8a6f1e-3d2c-4b5a-9e8f-7a6b5c4d3e2f' },
      { quantity: 0 },
      { billing: { country: 'United Kingdom' } },
    ];
    for (const over of cases) {
      const err = await failureOf(flp().screenOrder(topUp(over)));
      expect(err).toMatchObject({ retryable: false, code: 'invalid_input' });
    }
    expect(emu.requests).toHaveLength(0);
  });

  const injected: Array<[string, FraudLabsProFailure, boolean, string]> = [
    ['a server error is retryable', '500', true, 'http_500'],
    ['an HTML page instead of JSON is retryable', 'non_json', true, 'bad_response'],
    ['a request that never gets an answer times out and is retryable', 'timeout', true, 'timeout'],
    ['a dropped connection is retryable', 'reset', true, 'network'],
    ['an invalid API key is not retryable', 'invalid_key', false, '10001'],
    ['an expired API key is not retryable', 'expired_key', false, '10006'],
    ['running out of credit is not retryable', 'insufficient_credit', false, '10007'],
    ['an IP address FraudLabs Pro refuses is not retryable', 'invalid_ip', false, '10002'],
  ];
  for (const [name, failure, retryable, code] of injected) {
    it(name, async () => {
      emu.inject(failure);
      const err = await failureOf(flp({ timeoutMs: 300 }).screenOrder(registration()));

      expect(err.retryable).toBe(retryable);
      expect(err.code).toBe(code);
      expect(err.isConfigurationError).toBe(['10001', '10006', '10007'].includes(code));
      // One-shot: the next screening works again.
      await expect(flp().screenOrder(registration())).resolves.toMatchObject({ decision: 'approve' });
    });
  }

  it('a wrong API key is refused for good with FraudLabs Pro’s code and message', async () => {
    const err = await failureOf(flp({ apiKey: 'NOT-THE-RIGHT-KEY' }).screenOrder(registration()));

    expect(err).toMatchObject({ retryable: false, code: '10001', httpStatus: 400, isConfigurationError: true });
    expect(err.message).toBe('FraudLabs Pro 400 error 10001: INVALID API KEY');
    expect(emu.credits()).toBe(500);
  });

  it('a key whose answer is slower than the budget times out and is retryable', async () => {
    const err = await failureOf(flp({ apiKey: 'slow', timeoutMs: 200 }).screenOrder(registration()));

    expect(err).toMatchObject({ retryable: true, code: 'timeout' });
    expect(err.message).toContain('timed out after 200 ms');
  });

  it('an unreachable FraudLabs Pro is a retryable network failure', async () => {
    const gone = await startFraudLabsProEmulator();
    const url = gone.url;
    await gone.close();
    const err = await failureOf(
      createFraudLabsProClient({ apiKey: API_KEY, baseUrl: url, timeoutMs: 1_000 }).screenOrder(registration()),
    );

    expect(err).toMatchObject({ retryable: true, code: 'network' });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('the API key never appears in an error message, whatever went wrong', async () => {
    const messages: string[] = [];
    for (const failure of [
      '500',
      'non_json',
      'timeout',
      'reset',
      'invalid_key',
      'expired_key',
      'insufficient_credit',
      'invalid_ip',
    ] as const) {
      emu.inject(failure);
      messages.push((await failureOf(flp({ timeoutMs: 300 }).screenOrder(registration()))).message);
    }
    messages.push((await failureOf(flp({ apiKey: `${API_KEY}-WRONG` }).screenOrder(registration()))).message);

    expect(messages).toHaveLength(9);
    for (const m of messages) expect(m).not.toContain(API_KEY);
  });
});

describe('FraudLabs Pro client against a misbehaving server', () => {
  // A key with characters that encode differently in a URL and in a form body.
  const KEY = 'flp key+/=&s3cret';
  let server: http.Server;
  let url: string;
  let reply: (body: string) => { status: number; body: string };

  beforeEach(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const r = reply(body);
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const flp = () => createFraudLabsProClient({ apiKey: KEY, baseUrl: url, timeoutMs: 1_000 });

  it('strips the key from error messages in every spelling a server might echo', async () => {
    const spellings = [KEY, encodeURIComponent(KEY), new URLSearchParams({ k: KEY }).toString().slice(2)];
    for (const spelling of spellings) {
      reply = (body) => ({
        status: 400,
        body: JSON.stringify({ error: { error_code: 10001, error_message: `INVALID API KEY ${spelling} in ${body}` } }),
      });
      const err = await failureOf(flp().screenOrder(registration()));

      expect(err.code).toBe('10001');
      expect(err.message).toContain('[redacted]');
      for (const s of spellings) expect(err.message).not.toContain(s);
    }
  });

  it('a 200 without a known status is an unreadable answer and retryable', async () => {
    reply = () => ({
      status: 200,
      body: JSON.stringify({ fraudlabspro_id: 'X', fraudlabspro_score: 5, fraudlabspro_status: 'MAYBE' }),
    });
    const err = await failureOf(flp().screenOrder(registration()));

    expect(err).toMatchObject({ retryable: true, code: 'bad_response' });
  });

  it('an error envelope inside a 200 is still an error, and not retryable', async () => {
    reply = () => ({
      status: 200,
      body: JSON.stringify({ error: { error_code: '10007', error_message: 'INSUFFICIENT CREDIT' } }),
    });
    const err = await failureOf(flp().screenOrder(registration()));

    expect(err).toMatchObject({ retryable: false, code: '10007', isConfigurationError: true });
  });

  it('a 4xx without FraudLabs Pro’s envelope is not retryable, a 429 is', async () => {
    reply = () => ({ status: 403, body: '{}' });
    expect(await failureOf(flp().screenOrder(registration()))).toMatchObject({ retryable: false, code: 'http_403' });
    reply = () => ({ status: 429, body: '{}' });
    expect(await failureOf(flp().screenOrder(registration()))).toMatchObject({ retryable: true, code: 'http_429' });
  });

  it('reads flags leniently: numeric-string scores, the is_domain_exists spelling, is_proxy without a type', async () => {
    reply = () => ({
      status: 200,
      body: JSON.stringify({
        ip_geolocation: { is_proxy: true, proxy_type: '-' },
        email_address: { is_disposable: 'Y', is_domain_exists: false },
        fraudlabspro_id: '20260101-ABCDEF',
        fraudlabspro_score: '42',
        fraudlabspro_status: 'approve',
      }),
    });
    const result = await flp().screenOrder(registration());

    expect(result).toMatchObject({
      decision: 'approve',
      score: 42,
      transactionId: '20260101-ABCDEF',
      remainingCredits: null,
      rules: [],
    });
    // Only JSON `true` counts; "Y" is not a v2 boolean.
    expect(result.flags).toMatchObject({
      proxy: true,
      proxyType: null,
      vpn: false,
      tor: false,
      disposableEmail: false,
      emailDomainExists: false,
    });
  });
});
