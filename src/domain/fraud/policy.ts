import type { FraudLabsProDecision, FraudLabsProResult } from '../../providers/fraudlabspro/index.ts';

export interface FraudPolicySettings {
  /** Scores at or above this are rejected (1–100; SkyPanelV2's FRAUDLABSPRO_REJECT_SCORE, default 80). */
  scoreThreshold: number;
  /** Reject when the IP is a VPN, a Tor exit node or any other kind of proxy. */
  blockProxyVpnTor: boolean;
  /** Reject a disposable e-mail address, or one on the merchant's FLP e-mail blacklist. */
  blockDisposableEmail: boolean;
}

export interface FraudPolicyDecision {
  decision: FraudLabsProDecision;
  /** Every rule that moved the decision away from approve, in the order below; empty on approve. */
  reasons: string[];
}

/** Scores from here up to (not including) the threshold are held for review (SkyPanelV2 parity). */
export const REVIEW_SCORE = 50;

/**
 * The platform's verdict on one screening. Pure: same result and settings, same answer.
 *
 * The rule: each line below yields approve, review or reject, and the most severe one wins
 * (reject > review > approve). Every line that yields review or reject adds a reason.
 *
 *   1. FraudLabs Pro's own `fraudlabspro_status` (the merchant's FLP dashboard rules):
 *      REJECT → reject, REVIEW → review, APPROVE → approve.
 *   2. Score: `score ≥ scoreThreshold` → reject; otherwise `score ≥ REVIEW_SCORE` (50) → review.
 *      (With a threshold at or below 50 there is no review band: the threshold rejects first.)
 *   3. `blockProxyVpnTor` on and the IP is a VPN, a Tor exit node or a proxy → reject.
 *   4. `blockDisposableEmail` on and the e-mail is disposable or FLP-blacklisted → reject.
 *
 * So our settings can only make a verdict stricter than FLP's, never overturn an FLP REJECT
 * or REVIEW. With both switches off and the threshold at 101, the verdict is FLP's own.
 */
export function decide(
  result: Pick<FraudLabsProResult, 'decision' | 'score' | 'flags'>,
  settings: FraudPolicySettings,
): FraudPolicyDecision {
  let decision: FraudLabsProDecision = 'approve';
  const reasons: string[] = [];
  const raise = (to: FraudLabsProDecision, reason: string) => {
    if (SEVERITY[to] > SEVERITY[decision]) decision = to;
    reasons.push(reason);
  };

  if (result.decision === 'reject') raise('reject', 'FraudLabs Pro rejected the check');
  else if (result.decision === 'review') raise('review', 'FraudLabs Pro flagged the check for review');

  if (result.score >= settings.scoreThreshold) {
    raise('reject', `Fraud score ${result.score} is at or above the threshold ${settings.scoreThreshold}`);
  } else if (result.score >= REVIEW_SCORE) {
    raise('review', `Fraud score ${result.score} is at or above the review score ${REVIEW_SCORE}`);
  }

  const { flags } = result;
  if (settings.blockProxyVpnTor) {
    if (flags.tor) raise('reject', 'Tor exit node detected');
    else if (flags.vpn) raise('reject', 'VPN detected');
    else if (flags.proxy) raise('reject', flags.proxyType ? `Proxy detected (${flags.proxyType})` : 'Proxy detected');
  }

  if (settings.blockDisposableEmail) {
    if (flags.disposableEmail) raise('reject', 'Disposable email address');
    if (flags.emailBlacklisted) raise('reject', 'Email address is on the FraudLabs Pro blacklist');
  }

  return { decision, reasons };
}

const SEVERITY: Record<FraudLabsProDecision, number> = { approve: 0, review: 1, reject: 2 };
