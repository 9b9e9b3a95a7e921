/** What the FraudLabs Pro emulator keeps and answers; the protocol is described in index.ts. */

export type FraudLabsProFailure =
  '500' | 'non_json' | 'timeout' | 'reset' | 'invalid_key' | 'expired_key' | 'insufficient_credit' | 'invalid_ip';

export interface FraudLabsProEmulatorRequest {
  method: string;
  /** Endpoint path as FLP knows it, e.g. `/v2/order/screen` (without any mount prefix). */
  path: string;
  query: Record<string, string>;
  /** Parameters from the body (form or JSON). */
  body: Record<string, string>;
  contentType: string | null;
  at: string;
}

export interface FraudLabsProEmulatorTransaction {
  id: string;
  /** Screen parameters as received, without `key`. */
  params: Record<string, string>;
  /** The v2 response as answered, with the status updated by feedback. */
  response: V2Response;
  feedback: { action: 'APPROVE' | 'REJECT' | 'REJECT_BLACKLIST'; note: string | null } | null;
  createdAt: string;
}

export interface FraudLabsProEmulatorOptions {
  /** The only valid key; unset accepts any key except the reserved ones (see header). */
  apiKey?: string;
  /** Credits at start (default 500); each screen uses one. */
  credits?: number;
  /** Delay for the `slow` key (default 10 000 ms). */
  slowMs?: number;
  /** How long an injected `timeout` holds the request before giving up with a 504 (default 60 s). */
  holdMs?: number;
  now?: () => Date;
}

export type Params = Record<string, string>;
export type Bool = boolean | null;

export interface V2Response {
  ip_geolocation: {
    ip: string;
    continent: string;
    country_code: string;
    country_name: string;
    region: string;
    city: string;
    latitude: number;
    longitude: number;
    zip_code: string;
    timezone: string;
    isp_name: string;
    domain: string;
    netspeed: string;
    mobile_mnc: string;
    mobile_mcc: string;
    mobile_brand: string;
    elevation: number;
    usage_type: string[];
    is_proxy: boolean;
    proxy_type: string;
    is_in_blacklist: boolean;
  };
  billing_address: { ip_distance_in_km: number | null; ip_distance_in_mile: number | null; is_ip_country_match: Bool };
  shipping_address: {
    is_address_ship_forward: Bool;
    is_bill_city_match: Bool;
    is_bill_state_match: Bool;
    is_bill_country_match: Bool;
    is_bill_postcode_match: Bool;
    is_export_controlled_country: Bool;
    is_in_blacklist: Bool;
  };
  email_address: {
    is_free: Bool;
    is_disposable: Bool;
    is_domain_exist: Bool;
    is_new_domain_name: Bool;
    is_in_blacklist: Bool;
  };
  phone_number: { is_disposable: Bool; is_in_blacklist: Bool };
  username: { is_high_risk: Bool; is_in_blacklist: Bool };
  credit_card: {
    card_brand: string | null;
    card_type: string | null;
    card_issuing_bank: string | null;
    card_issuing_country: string | null;
    is_prepaid: Bool;
    is_bin_exist: Bool;
    is_bin_country_match: Bool;
    is_in_blacklist: Bool;
  };
  device: { is_malware_exploit: Bool; is_in_blacklist: Bool };
  user_order_id: string;
  fraudlabspro_id: string;
  fraudlabspro_score: number;
  fraudlabspro_status: 'APPROVE' | 'REVIEW' | 'REJECT';
  fraudlabspro_rules: string[];
  api_version: string;
  remaining_credits: number;
}
