import { STATUS_LABELS } from '../../../../domain/hosting/services.ts';
import type { HostingServiceStatus } from '../../../../db/types.ts';

/** How hosting facts read on the customer's pages: status words and badges, sizes and limits. */

const BADGES: Record<HostingServiceStatus, string> = {
  provisioning: 'badge-info',
  active: 'badge-success',
  suspended: 'badge-danger',
  cancelled: 'badge',
  failed: 'badge-danger',
};

const RESOURCE_LABELS: Record<string, string> = {
  websites: 'Websites',
  diskspace: 'Disk space',
  transfer: 'Transfer a month',
  mailboxes: 'Mailboxes',
  mysqlDbs: 'Databases',
  ftpUsers: 'FTP users',
  forwarders: 'Email forwarders',
  domainAliases: 'Domain aliases',
  addonDomains: 'Addon domains',
  subdomains: 'Subdomains',
  dnsRecords: 'DNS records',
  stagingWebsites: 'Staging websites',
};
const BYTES = new Set(['diskspace', 'transfer']);

function bytes(n: number): string {
  if (n >= 1024 ** 4) return `${+(n / 1024 ** 4).toFixed(1)} TB`;
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MB`;
  return `${n} B`;
}

export const hostingFormat = {
  status: STATUS_LABELS,
  badge: (s: HostingServiceStatus) => BADGES[s] ?? 'badge',
  /** The plan resources customers care about, in their words ("10 GB disk space", "Unlimited mailboxes"). */
  resources: (list: { name: string; total: number | null }[]) =>
    list
      .filter((r) => RESOURCE_LABELS[r.name])
      .map((r) => ({
        label: RESOURCE_LABELS[r.name]!,
        value: r.total === null ? 'Unlimited' : BYTES.has(r.name) ? bytes(r.total) : String(r.total),
      })),
  amount: (n: number, isBytes: boolean) => (isBytes ? bytes(n) : String(n)),
  percent: (used: number, total: number | null) =>
    total === null || total <= 0 ? null : Math.min(100, Math.round((used / total) * 100)),
  php: (v: string | null) => (v ? v.replace(/^php(\d)(\d+)$/, 'PHP $1.$2') : '—'),
};
