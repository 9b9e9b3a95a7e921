/** FraudLabs Pro's facts as the client hands them over: what is sent, what comes back, how it fails. */

/**
 * One screening. Registration: `ip`, `email`, optionally names/username/phone, `flpChecksum`
 * and `department: 'registration'`; no amount. Top-up: additionally `amount`, `currency`,
 * `paymentMode: 'paypal'`, `paymentGateway`, `orderId`. Names mirror the FLP parameters in
 * spec §2; only the parameters listed there are sent (FLP has no user-agent parameter on
 * the order screen; the device fingerprint travels as `flp_checksum`).
 */
export interface ScreenOrderInput {
  /** End user's IPv4/IPv6 address (required). `::ffff:a.b.c.d` is sent as `a.b.c.d`. */
  ip: string;
  email?: string;
  /** Only when the full e-mail is not sent. */
  emailDomain?: string;
  firstName?: string;
  lastName?: string;
  username?: string;
  phone?: string;
  /** Device fingerprint value produced by the FLP JavaScript agent (`flp_checksum`). */
  flpChecksum?: string;
  billing?: { address?: string; city?: string; state?: string; zipCode?: string; country?: string };
  /** Our reference (`user_order_id`), at most 15 characters. */
  orderId?: string;
  /** Free text (`user_order_memo`), at most 200 characters. */
  orderMemo?: string;
  /** Decimal string in major units, e.g. `"25.00"` (never a float). */
  amount?: string;
  /** ISO-4217 code; FLP defaults to USD. */
  currency?: string;
  quantity?: number;
  /** `creditcard`, `paypal`, `cod`, `bankdeposit`, `giftcard`, `crypto`, `wired`, `others`. */
  paymentMode?: PaymentMode;
  /** Free text, e.g. `paypal`. */
  paymentGateway?: string;
  /** Free text, e.g. `registration` or `wallet_topup`. */
  department?: string;
}

export type PaymentMode = 'creditcard' | 'paypal' | 'cod' | 'bankdeposit' | 'giftcard' | 'crypto' | 'wired' | 'others';
export type FraudLabsProDecision = 'approve' | 'review' | 'reject';

/** The v2 screen response as far as SkyPanel reads it; field names exactly as FLP sends them. */
export interface FraudLabsProScreenResponse {
  ip_geolocation?: {
    ip?: string;
    country_code?: string;
    usage_type?: string[] | string;
    is_proxy?: boolean | string | null;
    /** IP2Proxy-style: `VPN`, `TOR`, `DCH`, `PUB`, `WEB`, `SES`, `RES`, or `-`/empty. */
    proxy_type?: string | null;
    is_in_blacklist?: boolean | string | null;
    [field: string]: unknown;
  };
  email_address?: {
    is_free?: boolean | string | null;
    is_disposable?: boolean | string | null;
    is_domain_exist?: boolean | string | null;
    /** v1 spelling that one v2 schema also uses. */
    is_domain_exists?: boolean | string | null;
    is_new_domain_name?: boolean | string | null;
    is_in_blacklist?: boolean | string | null;
    [field: string]: unknown;
  };
  username?: { is_high_risk?: boolean | string | null; is_in_blacklist?: boolean | string | null };
  device?: { is_malware_exploit?: boolean | string | null; is_in_blacklist?: boolean | string | null };
  user_order_id?: string;
  fraudlabspro_id?: string;
  fraudlabspro_score?: number | string;
  fraudlabspro_status?: string;
  fraudlabspro_rules?: unknown;
  remaining_credits?: number | string;
  [field: string]: unknown;
}

/**
 * Signals a policy may act on. Each one is read from one documented field:
 * `proxy` ← `ip_geolocation.is_proxy` (or any proxy_type); `vpn`/`tor` ← `ip_geolocation.proxy_type`
 * `VPN`/`TOR`; `ipBlacklisted` ← `ip_geolocation.is_in_blacklist`; `disposableEmail` ←
 * `email_address.is_disposable`; `emailBlacklisted` ← `email_address.is_in_blacklist`;
 * `freeEmail` ← `email_address.is_free`; `emailDomainExists` ← `email_address.is_domain_exist`
 * (or `is_domain_exists`), null when FLP did not say. Anything but JSON `true` is false (spec §3).
 */
export interface FraudLabsProFlags {
  proxy: boolean;
  vpn: boolean;
  tor: boolean;
  /** The raw `proxy_type` when the IP is a proxy of some kind, else null. */
  proxyType: string | null;
  ipBlacklisted: boolean;
  disposableEmail: boolean;
  emailBlacklisted: boolean;
  freeEmail: boolean;
  emailDomainExists: boolean | null;
  highRiskUsername: boolean;
}

export interface FraudLabsProResult {
  /** FLP's own verdict (`fraudlabspro_status`), produced by the merchant's FLP dashboard rules. */
  decision: FraudLabsProDecision;
  /** `fraudlabspro_score`, 1–100, higher is riskier. */
  score: number;
  flags: FraudLabsProFlags;
  /** `fraudlabspro_id`, for feedback/result calls and for the admin view. */
  transactionId: string;
  /** `fraudlabspro_rules`: names of the merchant's rules that fired. */
  rules: string[];
  remainingCredits: number | null;
  /** The whole parsed response, for `fraud_checks.raw_response`. Never contains the key. */
  raw: FraudLabsProScreenResponse;
}

export interface FraudLabsProClient {
  screenOrder(input: ScreenOrderInput): Promise<FraudLabsProResult>;
}

/** FLP error codes (spec §5) a caller may want to tell apart. */
export const FraudLabsProErrorCodes = {
  INVALID_API_KEY: '10001',
  INVALID_IP_ADDRESS: '10002',
  API_KEY_EXPIRED: '10006',
  INSUFFICIENT_CREDIT: '10007',
} as const;

/** Errors that mean our configuration or account is wrong, not the request: log them loudly. */
const CONFIGURATION_CODES = new Set<string>([
  FraudLabsProErrorCodes.INVALID_API_KEY,
  FraudLabsProErrorCodes.API_KEY_EXPIRED,
  FraudLabsProErrorCodes.INSUFFICIENT_CREDIT,
]);

/**
 * Why a screening produced no result. `retryable` true: network failure, timeout, 5xx, 408/429
 * or an unreadable 2xx; asking again later may work. False: a 4xx or FLP error code (bad key,
 * expired key, no credit, invalid input); asking again cannot help.
 *
 * `code` is FLP's `error_code` as a string (`'10001'`…) when FLP sent one, otherwise one of
 * `timeout`, `network`, `http_<status>`, `bad_response`, `invalid_input`. The message never
 * contains the API key.
 */
export class FraudLabsProError extends Error {
  override readonly name = 'FraudLabsProError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code?: string,
    readonly httpStatus?: number,
  ) {
    super(message);
  }

  /** Bad or expired key, or the monthly credit is used up: an operator must act. */
  get isConfigurationError(): boolean {
    return this.code !== undefined && CONFIGURATION_CODES.has(this.code);
  }
}
