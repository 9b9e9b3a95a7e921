import type { ServerStatus } from '../../../../db/types.ts';
import { formatMoney } from '../../../../lib/money.ts';
import { share } from '../../../../lib/shared-values.ts';
import { shownRdns } from '../../../reverse-dns.ts';

/**
 * How a server's facts read on the pages (portal and admin): status words and badge colours,
 * sizes in people's units. Formatting only; what the facts are is the domain's.
 */

export const STATUS_LABELS: Record<ServerStatus, string> = {
  provisioning: 'Provisioning',
  booting: 'Booting',
  running: 'Running',
  shutting_down: 'Shutting down',
  offline: 'Offline',
  rebooting: 'Rebooting',
  rebuilding: 'Rebuilding',
  resizing: 'Resizing',
  deleting: 'Deleting',
  deleted: 'Deleted',
  suspended: 'Suspended',
  failed: 'Failed',
};

const BADGES: Partial<Record<ServerStatus, string>> = {
  running: 'badge-success',
  offline: 'badge',
  suspended: 'badge-danger',
  failed: 'badge-danger',
  deleted: 'badge',
};

/** The badge class of a status: green running, red suspended/failed, blue while something is happening. */
export const statusBadge = (s: ServerStatus) => BADGES[s] ?? 'badge-info';

/** 2048 → "2 GB", 1536 → "1.5 GB", 512 → "512 MB". */
export function memory(mb: number): string {
  if (mb < 1024) return `${mb} MB`;
  const gb = mb / 1024;
  return `${Number.isInteger(gb) ? gb : gb.toFixed(1)} GB`;
}

/** Bytes as GB with two decimals ("1.25 GB"), for transfer. */
export function gigabytes(bytes: bigint): string {
  const hundredths = (bytes * 100n) / 1_000_000_000n;
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')} GB`;
}

/** An hourly rate to 4 decimals ($0.0205): hourly prices are rarely whole cents. */
export const hourly = (micros: bigint, currency: string) => formatMoney(micros, currency, 4);

/** What every server view gets for formatting (`it.fmt`). */
/** The views' formatters, shared (src/lib/shared-values.ts): a kept page names them by identity. */
export const serverFormat = share({
  status: STATUS_LABELS,
  badge: statusBadge,
  memory,
  gigabytes,
  hourly,
  rdns: shownRdns,
});
