import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFraudLabsProClient,
  type FraudLabsProFlags,
  type FraudLabsProResult,
} from '../../src/providers/fraudlabspro/client.ts';
import {
  startFraudLabsProEmulator,
  type FraudLabsProEmulator,
} from '../../src/providers/fraudlabspro/emulator/index.ts';
import { decide, REVIEW_SCORE, type FraudPolicySettings } from '../../src/domain/fraud/policy.ts';

const CLEAN: FraudLabsProFlags = {
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
};

type Screened = Pick<FraudLabsProResult, 'decision' | 'score' | 'flags'>;
const screened = (over: Partial<Omit<Screened, 'flags'>> = {}, flags: Partial<FraudLabsProFlags> = {}): Screened => ({
  decision: 'approve',
  score: 10,
  ...over,
  flags: { ...CLEAN, ...flags },
});

const STRICT: FraudPolicySettings = { scoreThreshold: 80, blockProxyVpnTor: true, blockDisposableEmail: true };
const LENIENT: FraudPolicySettings = { scoreThreshold: 80, blockProxyVpnTor: false, blockDisposableEmail: false };

describe('fraud policy', () => {
  it('approves a clean, low-score check with no reasons', () => {
    expect(decide(screened(), STRICT)).toEqual({ decision: 'approve', reasons: [] });
  });

  it('follows a FraudLabs Pro REJECT even when every platform setting is off', () => {
    const off = { scoreThreshold: 101, blockProxyVpnTor: false, blockDisposableEmail: false };

    expect(decide(screened({ decision: 'reject' }), off)).toEqual({
      decision: 'reject',
      reasons: ['FraudLabs Pro rejected the check'],
    });
  });

  it('holds a check FraudLabs Pro wants reviewed', () => {
    expect(decide(screened({ decision: 'review' }), LENIENT)).toEqual({
      decision: 'review',
      reasons: ['FraudLabs Pro flagged the check for review'],
    });
  });

  it('rejects a score at the threshold even when FraudLabs Pro approved it', () => {
    expect(decide(screened({ score: 80 }), LENIENT)).toEqual({
      decision: 'reject',
      reasons: ['Fraud score 80 is at or above the threshold 80'],
    });
  });

  it('holds a score between the review score and the threshold for review', () => {
    expect(decide(screened({ score: REVIEW_SCORE }), LENIENT)).toEqual({
      decision: 'review',
      reasons: ['Fraud score 50 is at or above the review score 50'],
    });
    expect(decide(screened({ score: 79 }), LENIENT).decision).toBe('review');
    expect(decide(screened({ score: 49 }), LENIENT).decision).toBe('approve');
  });

  it('has no review band when the threshold is at or below the review score', () => {
    const low = { ...LENIENT, scoreThreshold: 40 };

    expect(decide(screened({ score: 39 }), low).decision).toBe('approve');
    expect(decide(screened({ score: 45 }), low)).toEqual({
      decision: 'reject',
      reasons: ['Fraud score 45 is at or above the threshold 40'],
    });
  });

  it('a stricter FraudLabs Pro verdict is never softened by a lenient setting', () => {
    expect(decide(screened({ decision: 'review', score: 5 }), { ...LENIENT, scoreThreshold: 101 }).decision).toBe(
      'review',
    );
  });

  it('rejects a VPN, a Tor exit node and any other proxy when blocking them is on', () => {
    expect(decide(screened({}, { proxy: true, vpn: true, proxyType: 'VPN' }), STRICT)).toEqual({
      decision: 'reject',
      reasons: ['VPN detected'],
    });
    expect(decide(screened({}, { proxy: true, tor: true, proxyType: 'TOR' }), STRICT)).toEqual({
      decision: 'reject',
      reasons: ['Tor exit node detected'],
    });
    expect(decide(screened({}, { proxy: true, proxyType: 'DCH' }), STRICT)).toEqual({
      decision: 'reject',
      reasons: ['Proxy detected (DCH)'],
    });
    expect(decide(screened({}, { proxy: true }), STRICT)).toEqual({ decision: 'reject', reasons: ['Proxy detected'] });
  });

  it('lets a VPN, Tor or proxy through when blocking them is off', () => {
    const settings = { ...STRICT, blockProxyVpnTor: false };
    for (const flags of [
      { proxy: true, vpn: true },
      { proxy: true, tor: true },
      { proxy: true, proxyType: 'PUB' },
    ]) {
      expect(decide(screened({}, flags), settings)).toEqual({ decision: 'approve', reasons: [] });
    }
  });

  it('rejects a disposable or blacklisted email address when blocking them is on, and not when off', () => {
    expect(decide(screened({}, { disposableEmail: true }), STRICT)).toEqual({
      decision: 'reject',
      reasons: ['Disposable email address'],
    });
    expect(decide(screened({}, { emailBlacklisted: true }), STRICT)).toEqual({
      decision: 'reject',
      reasons: ['Email address is on the FraudLabs Pro blacklist'],
    });
    expect(decide(screened({}, { disposableEmail: true, emailBlacklisted: true }), LENIENT)).toEqual({
      decision: 'approve',
      reasons: [],
    });
  });

  it('each combination of the two switches blocks exactly what it names', () => {
    const vpnAndDisposable = screened({}, { proxy: true, vpn: true, proxyType: 'VPN', disposableEmail: true });
    const table: Array<[boolean, boolean, string, string[]]> = [
      [false, false, 'approve', []],
      [true, false, 'reject', ['VPN detected']],
      [false, true, 'reject', ['Disposable email address']],
      [true, true, 'reject', ['VPN detected', 'Disposable email address']],
    ];
    for (const [blockProxyVpnTor, blockDisposableEmail, decision, reasons] of table) {
      expect(decide(vpnAndDisposable, { scoreThreshold: 80, blockProxyVpnTor, blockDisposableEmail })).toEqual({
        decision,
        reasons,
      });
    }
  });

  it('lists every reason that applied, FraudLabs Pro’s first, even when one is enough', () => {
    const result = screened(
      { decision: 'review', score: 90 },
      { proxy: true, tor: true, proxyType: 'TOR', disposableEmail: true },
    );

    expect(decide(result, STRICT)).toEqual({
      decision: 'reject',
      reasons: [
        'FraudLabs Pro flagged the check for review',
        'Fraud score 90 is at or above the threshold 80',
        'Tor exit node detected',
        'Disposable email address',
      ],
    });
  });

  it('ignores signals no setting covers, such as a free email provider or a blacklisted IP', () => {
    expect(decide(screened({}, { freeEmail: true, ipBlacklisted: true, highRiskUsername: true }), STRICT)).toEqual({
      decision: 'approve',
      reasons: [],
    });
  });
});

describe('fraud policy on real screenings from the emulator', () => {
  let emu: FraudLabsProEmulator;
  beforeAll(async () => {
    emu = await startFraudLabsProEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });
  const screen = (ip: string, email: string, amount?: string) =>
    createFraudLabsProClient({ apiKey: 'demo', baseUrl: emu.url, timeoutMs: 2_000 }).screenOrder({
      ip,
      email,
      amount,
      currency: amount ? 'USD' : undefined,
    });

  const cases: Array<[string, string, string, string | undefined, FraudPolicySettings, string]> = [
    ['an ordinary registration is approved', '192.0.2.10', 'ada@lovelace.example', undefined, STRICT, 'approve'],
    [
      'a registration over a VPN is rejected when VPNs are blocked',
      '198.51.100.66',
      'ada@lovelace.example',
      undefined,
      STRICT,
      'reject',
    ],
    [
      'a registration over a VPN is approved when VPNs are allowed',
      '198.51.100.66',
      'ada@lovelace.example',
      undefined,
      LENIENT,
      'approve',
    ],
    [
      'a registration over Tor is still held when Tor is allowed, because FraudLabs Pro wants review',
      '198.51.100.99',
      'ada@lovelace.example',
      undefined,
      LENIENT,
      'review',
    ],
    [
      'a disposable address is rejected when they are blocked',
      '192.0.2.10',
      'x@mailinator.com',
      undefined,
      STRICT,
      'reject',
    ],
    [
      'a disposable address is approved when they are allowed',
      '192.0.2.10',
      'x@mailinator.com',
      undefined,
      LENIENT,
      'approve',
    ],
    ['a top-up FraudLabs Pro wants reviewed is held', '192.0.2.10', 'ada@lovelace.example', '25.66', LENIENT, 'review'],
    [
      'a top-up with a score over the threshold is rejected',
      '192.0.2.10',
      'ada@lovelace.example',
      '25.88',
      LENIENT,
      'reject',
    ],
    [
      'a lower threshold rejects a score FraudLabs Pro only wanted reviewed',
      '192.0.2.10',
      'ada+score60@lovelace.example',
      undefined,
      { ...LENIENT, scoreThreshold: 60 },
      'reject',
    ],
  ];
  for (const [name, ip, email, amount, settings, expected] of cases) {
    it(name, async () => {
      expect(decide(await screen(ip, email, amount), settings).decision).toBe(expected);
    });
  }
});
