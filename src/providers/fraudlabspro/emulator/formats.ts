import type { Context } from 'hono';
import type { Bool, Params, V2Response } from './types.ts';

/** The answer's two other shapes: v1's flat `Y`/`N`/`NA` body, and XML for `format=xml`. */

const V1_KEYS = [
  'is_country_match',
  'is_high_risk_country',
  'distance_in_km',
  'distance_in_mile',
  'ip_country',
  'ip_continent',
  'ip_region',
  'ip_city',
  'ip_latitude',
  'ip_longitude',
  'ip_timezone',
  'ip_elevation',
  'ip_domain',
  'ip_mobile_mnc',
  'ip_mobile_mcc',
  'ip_mobile_brand',
  'ip_netspeed',
  'ip_isp_name',
  'ip_usage_type',
  'is_free_email',
  'is_disposable_email',
  'is_new_domain_name',
  'is_domain_exists',
  'is_proxy_ip_address',
  'is_bin_found',
  'is_bin_country_match',
  'is_bin_name_match',
  'is_bin_phone_match',
  'is_bin_prepaid',
  'is_address_ship_forward',
  'is_bill_ship_city_match',
  'is_bill_ship_state_match',
  'is_bill_ship_country_match',
  'is_bill_ship_postal_match',
  'is_ship_address_blacklist',
  'is_phone_blacklist',
  'is_ip_blacklist',
  'is_email_blacklist',
  'is_credit_card_blacklist',
  'is_device_blacklist',
  'is_user_blacklist',
  'is_high_risk_username',
  'is_export_controlled_country',
  'is_malware_exploit',
  'user_order_id',
  'user_order_memo',
] as const;

export const V1_EMPTY: Record<string, string | number> = {
  ...Object.fromEntries(V1_KEYS.map((k) => [k, k.startsWith('is_') ? 'NA' : ''])),
  fraudlabspro_score: '',
  fraudlabspro_distribution: '',
  fraudlabspro_status: '',
  fraudlabspro_id: '',
  fraudlabspro_version: '1.5.1',
  fraudlabspro_error_code: '',
  fraudlabspro_message: '',
  fraudlabspro_credits: '',
};

const yn = (v: Bool) => (v === null ? 'NA' : v ? 'Y' : 'N');

/** The same verdict in v1's flat `Y`/`N`/`NA` shape (spec §4). */
export function toV1(r: V2Response, params: Params): Record<string, string | number> {
  const g = r.ip_geolocation;
  const usage: Record<string, string> = { DCH: 'Data Center/Web Hosting/Transit', ISP: 'Fixed Line ISP' };
  return {
    ...V1_EMPTY,
    is_country_match: yn(r.billing_address.is_ip_country_match),
    is_high_risk_country: 'N',
    distance_in_km: r.billing_address.ip_distance_in_km === null ? '' : String(r.billing_address.ip_distance_in_km),
    distance_in_mile:
      r.billing_address.ip_distance_in_mile === null ? '' : String(r.billing_address.ip_distance_in_mile),
    ip_country: g.country_code,
    ip_continent: g.continent,
    ip_region: g.region,
    ip_city: g.city,
    ip_latitude: String(g.latitude),
    ip_longitude: String(g.longitude),
    ip_timezone: g.timezone,
    ip_elevation: String(g.elevation),
    ip_domain: g.domain,
    ip_mobile_mnc: g.mobile_mnc,
    ip_mobile_mcc: g.mobile_mcc,
    ip_mobile_brand: g.mobile_brand,
    ip_netspeed: g.netspeed,
    ip_isp_name: g.isp_name,
    ip_usage_type: usage[g.usage_type[0] ?? 'ISP'] ?? 'Fixed Line ISP',
    is_free_email: yn(r.email_address.is_free),
    is_disposable_email: yn(r.email_address.is_disposable),
    is_new_domain_name: yn(r.email_address.is_new_domain_name),
    is_domain_exists: yn(r.email_address.is_domain_exist),
    is_proxy_ip_address: yn(g.is_proxy),
    is_address_ship_forward: yn(r.shipping_address.is_address_ship_forward),
    is_bill_ship_city_match: yn(r.shipping_address.is_bill_city_match),
    is_bill_ship_state_match: yn(r.shipping_address.is_bill_state_match),
    is_bill_ship_country_match: yn(r.shipping_address.is_bill_country_match),
    is_bill_ship_postal_match: yn(r.shipping_address.is_bill_postcode_match),
    is_ip_blacklist: yn(g.is_in_blacklist),
    is_email_blacklist: yn(r.email_address.is_in_blacklist),
    is_export_controlled_country: 'N',
    is_malware_exploit: yn(r.device.is_malware_exploit),
    user_order_id: r.user_order_id,
    user_order_memo: params.user_order_memo ?? '',
    fraudlabspro_score: r.fraudlabspro_score,
    fraudlabspro_distribution: String(Math.min(99, r.fraudlabspro_score + 40)),
    fraudlabspro_status: r.fraudlabspro_status,
    fraudlabspro_id: r.fraudlabspro_id,
    fraudlabspro_credits: r.remaining_credits,
  };
}

export function xml(c: Context, payload: unknown, status: 200 | 400): Response {
  c.header('content-type', 'application/xml; charset=utf-8');
  return c.body(`<?xml version="1.0" encoding="UTF-8"?>\n${xmlElement('response', payload)}`, status);
}

function xmlElement(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name}/>`;
  if (Array.isArray(value)) return `<${name}>${value.map((v) => xmlElement('item', v)).join('')}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => xmlElement(k, v))
      .join('')}</${name}>`;
  }
  const text = String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<${name}>${text}</${name}>`;
}
