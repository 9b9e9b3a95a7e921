import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Bool, Params, V2Response } from './types.ts';

/**
 * The emulator's deterministic screening rules (documented in index.ts): nothing random, the
 * same request always gets the same score and status.
 */

const DISPOSABLE_DOMAINS = [
  'mailinator.com',
  'mailinator.test',
  'guerrillamail.com',
  'sharklasers.com',
  'yopmail.com',
  '10minutemail.com',
  'temp-mail.org',
  'trashmail.com',
  'maildrop.cc',
  'getnada.com',
  'throwawaymail.com',
  'dispostable.com',
  'disposable.test',
];
const FREE_DOMAINS = [
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'icloud.com',
  'proton.me',
  'protonmail.com',
  'aol.com',
  'gmx.com',
];

/** Emulated "dashboard rules" of the merchant. */
const REJECT_AT = 80;
const REVIEW_AT = 50;
const BASE_SCORE = 10;

type ProxyType = 'VPN' | 'TOR' | 'DCH' | 'PUB';
const PROXY_SCORE: Record<ProxyType, number> = { PUB: 35, DCH: 15, VPN: 30, TOR: 60 };

export function normaliseIp(raw: string): string | null {
  const ip = raw.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  const candidate = mapped?.[1] ?? ip;
  return isIP(candidate) ? candidate : null;
}

export function transactionId(at: Date, sequence: number, ip: string, email: string): string {
  const day = at.toISOString().slice(0, 10).replace(/-/g, '');
  const digest = createHash('sha256').update(`${sequence}|${ip}|${email}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += alphabet[(digest[i] ?? 0) % alphabet.length];
  return `${day}-${suffix}`;
}

function ipProfile(ip: string): { proxyType: ProxyType | null; blacklisted: boolean } {
  const m = /^198\.51\.100\.(\d{1,3})$/.exec(ip);
  if (!m) return { proxyType: null, blacklisted: false };
  const octet = Number(m[1]);
  const proxyType: ProxyType | null =
    octet >= 32 && octet <= 47
      ? 'PUB'
      : octet >= 48 && octet <= 63
        ? 'DCH'
        : octet >= 64 && octet <= 79
          ? 'VPN'
          : octet >= 96 && octet <= 111
            ? 'TOR'
            : null;
  return { proxyType, blacklisted: octet >= 128 && octet <= 143 };
}

const matchesDomain = (domain: string, list: string[]) => list.some((d) => domain === d || domain.endsWith(`.${d}`));

export function evaluate(
  params: Params,
  ip: string,
  id: string,
  remainingCredits: number,
  blacklist: { ips: Set<string>; emails: Set<string> },
): V2Response {
  const rules: string[] = [];
  let score = BASE_SCORE;

  const { proxyType, blacklisted } = ipProfile(ip);
  const ipBlacklisted = blacklisted || blacklist.ips.has(ip);
  if (proxyType) score += PROXY_SCORE[proxyType];
  if (ipBlacklisted) score += 60;

  const email = (params.email ?? '').trim().toLowerCase();
  const at = email.lastIndexOf('@');
  const local = at > 0 ? email.slice(0, at) : '';
  const domain = (at > 0 ? email.slice(at + 1) : (params.email_domain ?? '').trim().toLowerCase()).replace(/\.$/, '');
  const tags = local.split('+').slice(1);
  const hasEmail = domain !== '';
  const disposable = hasEmail && matchesDomain(domain, DISPOSABLE_DOMAINS);
  const free = hasEmail && matchesDomain(domain, FREE_DOMAINS);
  const domainExists = hasEmail && !domain.endsWith('.invalid');
  const emailBlacklisted = hasEmail && (tags.includes('blacklist') || (email !== '' && blacklist.emails.has(email)));
  if (disposable) score += 35;
  if (hasEmail && !domainExists) score += 20;
  if (emailBlacklisted) score += 60;
  score = Math.min(100, Math.max(1, score));

  const cents = /^\d+\.(\d{2})/.exec(params.amount ?? '')?.[1];
  if (cents === '66' || cents === '88') {
    score = Number(cents);
    rules.push(`Amount ending in .${cents}`);
  }
  for (const tag of tags) {
    const forced = /^score(\d{1,3})$/.exec(tag);
    if (forced && Number(forced[1]) >= 1 && Number(forced[1]) <= 100) score = Number(forced[1]);
  }

  let status: V2Response['fraudlabspro_status'] =
    score >= REJECT_AT ? 'REJECT' : score >= REVIEW_AT ? 'REVIEW' : 'APPROVE';
  if (status === 'REJECT') rules.push(`Reject when score >= ${REJECT_AT}`);
  if (status === 'REVIEW') rules.push(`Review when score >= ${REVIEW_AT}`);
  for (const tag of tags) {
    if (tag === 'approve' || tag === 'review' || tag === 'reject') {
      status = tag.toUpperCase() as V2Response['fraudlabspro_status'];
      rules.push(`Email tag +${tag}`);
    }
  }

  const billCountry = params.bill_country?.toUpperCase();
  const hasShipping = Boolean(params.ship_addr || params.ship_city || params.ship_country);
  const hasCard = Boolean(params.bin_no);
  const isp =
    proxyType === 'TOR'
      ? 'Tor Exit Relay'
      : proxyType === 'VPN'
        ? 'Emulated VPN Ltd'
        : proxyType
          ? 'Emulated Hosting Inc'
          : 'Emulated Broadband';

  return {
    ip_geolocation: {
      ip,
      continent: 'North America',
      country_code: 'US',
      country_name: 'United States of America',
      region: 'California',
      city: 'San Jose',
      latitude: 37.33939,
      longitude: -121.89496,
      zip_code: '95101',
      timezone: '-07:00',
      isp_name: isp,
      domain: proxyType ? 'emulated-hosting.example' : 'emulated-broadband.example',
      netspeed: proxyType ? 'T1' : 'DSL',
      mobile_mnc: '-',
      mobile_mcc: '-',
      mobile_brand: '-',
      elevation: 25,
      usage_type: proxyType && proxyType !== 'PUB' ? ['DCH'] : ['ISP'],
      is_proxy: proxyType !== null,
      proxy_type: proxyType ?? '-',
      is_in_blacklist: ipBlacklisted,
    },
    billing_address: {
      ip_distance_in_km: billCountry ? 12 : null,
      ip_distance_in_mile: billCountry ? 7 : null,
      is_ip_country_match: billCountry ? billCountry === 'US' : null,
    },
    shipping_address: {
      is_address_ship_forward: hasShipping ? false : null,
      is_bill_city_match: hasShipping ? (params.ship_city ?? '') === (params.bill_city ?? '') : null,
      is_bill_state_match: hasShipping ? (params.ship_state ?? '') === (params.bill_state ?? '') : null,
      is_bill_country_match: hasShipping ? (params.ship_country ?? '').toUpperCase() === (billCountry ?? '') : null,
      is_bill_postcode_match: hasShipping ? (params.ship_zip_code ?? '') === (params.bill_zip_code ?? '') : null,
      is_export_controlled_country: hasShipping ? false : null,
      is_in_blacklist: hasShipping ? false : null,
    },
    email_address: hasEmail
      ? {
          is_free: free,
          is_disposable: disposable,
          is_domain_exist: domainExists,
          is_new_domain_name: false,
          is_in_blacklist: emailBlacklisted,
        }
      : { is_free: null, is_disposable: null, is_domain_exist: null, is_new_domain_name: null, is_in_blacklist: null },
    phone_number: params.user_phone
      ? { is_disposable: false, is_in_blacklist: false }
      : { is_disposable: null, is_in_blacklist: null },
    username:
      params.username || params.username_hash
        ? { is_high_risk: false, is_in_blacklist: false }
        : { is_high_risk: null, is_in_blacklist: null },
    credit_card: {
      card_brand: hasCard ? 'VISA' : null,
      card_type: hasCard ? 'CREDIT' : null,
      card_issuing_bank: hasCard ? 'EMULATED BANK' : null,
      card_issuing_country: hasCard ? 'US' : null,
      is_prepaid: hasCard ? false : null,
      is_bin_exist: hasCard ? true : null,
      is_bin_country_match: hasCard ? billCountry === 'US' : null,
      is_in_blacklist: hasCard ? false : null,
    },
    device: params.flp_checksum
      ? { is_malware_exploit: false, is_in_blacklist: false }
      : { is_malware_exploit: null, is_in_blacklist: null },
    user_order_id: params.user_order_id ?? '',
    fraudlabspro_id: id,
    fraudlabspro_score: score,
    fraudlabspro_status: status,
    fraudlabspro_rules: rules,
    api_version: '2.0.0',
    remaining_credits: remainingCredits,
  };
}
