import type { LinodeEmulatorState } from './state.ts';

/**
 * Failures armed on demand, through the programmatic controls only (there is no HTTP control
 * surface: nothing reachable over the network can make the emulator misbehave).
 *
 * Each fault is consumed by the next matching request(s): `times` (default 1), optionally
 * only for one operation, method or path. Status faults answer before the operation runs,
 * so nothing happens; `succeeds_late` runs the operation and then holds the answer back;
 * `provisioning_fails` lets a create or rebuild start and end in `offline` with a failed event.
 */

/** The operation names faults and recorded requests use. */
export const OPERATIONS = [
  'list_types',
  'get_type',
  'list_regions',
  'get_region',
  'list_images',
  'get_image',
  'list_stackscripts',
  'get_stackscript',
  'list_instances',
  'create_instance',
  'get_instance',
  'update_instance',
  'delete_instance',
  'boot',
  'shutdown',
  'reboot',
  'rebuild',
  'resize',
  'password',
  'lish',
  'instance_ips',
  'list_ips',
  'get_ip',
  'update_ip',
  'list_backups',
  'get_backup',
  'enable_backups',
  'cancel_backups',
  'snapshot',
  'restore',
  'instance_firewalls',
  'list_firewalls',
  'create_firewall',
  'get_firewall',
  'update_firewall',
  'delete_firewall',
  'get_firewall_rules',
  'update_firewall_rules',
  'list_firewall_devices',
  'add_firewall_device',
  'get_firewall_device',
  'delete_firewall_device',
  'transfer',
  'stats',
  'account',
  'account_transfer',
  'profile',
  'events',
  'get_event',
] as const;
export type LinodeOperation = (typeof OPERATIONS)[number] | 'not_found';

export type LinodeFault =
  /** 401 "Invalid Token". */
  | { type: 'unauthorized' }
  /** 403 "Unauthorized" (token lacks a scope). */
  | { type: 'forbidden' }
  /** 400 with one field error; default: a weak `root_pass`. */
  | { type: 'validation'; field?: string | null; reason?: string }
  /** 400 "Linode busy.". */
  | { type: 'busy' }
  | { type: 'not_found' }
  /** 429 with `Retry-After` (default 1 s). */
  | { type: 'rate_limited'; retryAfter?: number }
  /** 500. */
  | { type: 'server_error' }
  /** 503 with `X-Maintenance-Mode` (clients must not retry). */
  | { type: 'maintenance' }
  /** 503 without it (overload; clients may retry). */
  | { type: 'unavailable' }
  /** 408 "Please try again". */
  | { type: 'request_timeout' }
  /** Waits `ms` before handling; if the client gave up meanwhile, the operation does not run. */
  | { type: 'delay'; ms: number }
  /** Runs the operation, then waits `ms` before answering (a create that succeeds but times out). */
  | { type: 'succeeds_late'; ms: number }
  /** A create/rebuild is accepted, then ends `offline` with its event `failed`. */
  | { type: 'provisioning_fails' };

export interface FaultOptions {
  /** Only requests for this operation. */
  op?: LinodeOperation;
  /** Only this method. */
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Only this path below /v4 (exact string) or paths matching this pattern. */
  path?: string | RegExp;
  /** How many matching requests it affects. Default 1. */
  times?: number;
}

export interface ArmedFault {
  fault: LinodeFault;
  op: LinodeOperation | null;
  method: string | null;
  path: string | RegExp | null;
  remaining: number;
}

export function armFault(state: LinodeEmulatorState, fault: LinodeFault, opts: FaultOptions = {}): void {
  const times = opts.times ?? 1;
  if (!Number.isInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
  state.faults.push({
    fault,
    op: opts.op ?? null,
    method: opts.method ?? null,
    path: opts.path ?? null,
    remaining: times,
  });
}

/** Takes (consumes one use of) the first armed fault matching the request and the kind wanted. */
export function takeFault(
  state: LinodeEmulatorState,
  req: { op: LinodeOperation; method: string; path: string },
  wanted: (f: LinodeFault) => boolean,
): LinodeFault | null {
  const armed = state.faults.find(
    (a) =>
      wanted(a.fault) &&
      (a.op === null || a.op === req.op) &&
      (a.method === null || a.method === req.method) &&
      (a.path === null || (typeof a.path === 'string' ? a.path === req.path : a.path.test(req.path))),
  );
  if (!armed) return null;
  armed.remaining -= 1;
  if (armed.remaining <= 0) state.faults.splice(state.faults.indexOf(armed), 1);
  return armed.fault;
}

export const isTiming = (f: LinodeFault) => f.type === 'delay' || f.type === 'succeeds_late';
export const isAnswer = (f: LinodeFault) => !isTiming(f) && f.type !== 'provisioning_fails';

/** The status, headers and error envelope an answering fault produces. */
export function faultReply(f: LinodeFault): {
  status: number;
  headers?: Record<string, string>;
  errors: Array<{ field?: string; reason: string }>;
} {
  switch (f.type) {
    case 'unauthorized':
      return { status: 401, errors: [{ reason: 'Invalid Token' }] };
    case 'forbidden':
      return { status: 403, errors: [{ reason: 'Unauthorized' }] };
    case 'validation': {
      const field = f.field === undefined ? 'root_pass' : f.field;
      return {
        status: 400,
        errors: [{ ...(field ? { field } : {}), reason: f.reason ?? 'Password does not meet strength requirement.' }],
      };
    }
    case 'busy':
      return { status: 400, errors: [{ reason: 'Linode busy.' }] };
    case 'not_found':
      return { status: 404, errors: [{ reason: 'Not found' }] };
    case 'rate_limited':
      return {
        status: 429,
        headers: { 'retry-after': String(f.retryAfter ?? 1) },
        errors: [{ reason: 'Too Many Requests' }],
      };
    case 'server_error':
      return { status: 500, errors: [{ reason: 'Internal Server Error' }] };
    case 'maintenance':
      // Guess: the header's value is not documented; its presence is what linodego checks.
      return {
        status: 503,
        headers: { 'x-maintenance-mode': 'true' },
        errors: [{ reason: 'Currently in maintenance mode.' }],
      };
    case 'unavailable':
      return { status: 503, errors: [{ reason: 'Service Unavailable' }] };
    case 'request_timeout':
      return { status: 408, errors: [{ reason: 'Please try again' }] };
    default:
      throw new TypeError(`${f.type} is not an answering fault`);
  }
}
