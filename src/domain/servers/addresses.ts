import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { CloudError, type CloudAddress } from '../../providers/cloud.ts';
import type { CloudReads } from '../../providers/cloud-reads.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { act } from './act.ts';
import { serverFor } from './find.ts';
import { cloudFor, providerFailure } from './provider.ts';
import type { InstanceRef } from './query.ts';
import type { ActionView } from './view.ts';

/**
 * A server's IP addresses and their reverse DNS names. Only the server's own addresses (as
 * the provider lists them now) can be named; any other is not found. The provider checks that
 * the name resolves forward to the address first; when it does not, the customer is told to
 * add the A/AAAA record (white label, on the `name` field).
 */

export async function listAddresses(
  deps: Pick<Deps, 'db' | 'clouds' | 'log'>,
  actor: Actor,
  id: string,
): Promise<CloudAddress[]> {
  const server = await serverFor(deps.db, actor, id, 'vps_view');
  return addressesOf(deps, server, () => cloudFor(deps, deps.db, server.provider_id));
}

/** What the provider lists for a server found by the caller (whose permission it checked). */
export async function addressesOf(
  deps: Pick<Deps, 'log'>,
  server: InstanceRef,
  reach: () => CloudReads | Promise<CloudReads>,
): Promise<CloudAddress[]> {
  if (!server.provider_instance_id || server.status === 'deleted' || server.status === 'failed') return [];
  const cloud = await reach();
  try {
    return await cloud.addresses(server.provider_instance_id);
  } catch (err) {
    throw providerFailure(deps.log, err, { serverId: server.id, op: 'addresses' });
  }
}

/** A host name for reverse DNS: labels of letters, digits and dashes, at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/;

/** Sets the reverse DNS name of one of the server's addresses; `name` null (or blank) resets it to the default. */
export async function setReverseDns(
  deps: Deps,
  actor: Actor,
  id: string,
  address: string,
  name: string | null,
): Promise<ActionView> {
  const server = await serverFor(deps.db, actor, id, 'vps_manage');
  const wanted = name === null ? null : name.trim().replace(/\.$/, '').toLowerCase() || null;
  if (wanted !== null && !HOST_NAME.test(wanted))
    throw new ValidationError({ name: 'Enter a host name like mail.example.com.' });
  // vps_manage alone is enough: the addresses are read (afresh) to check this one, not answered.
  const own = await addressesOf(deps, server, () => cloudFor(deps, deps.db, server.provider_id));
  const target = own.find((a) => a.address === address);
  if (!target || !target.public) throw new NotFoundError('No such address on this server.');
  try {
    return await act(
      deps,
      actor,
      server.id,
      {
        type: 'set_rdns',
        activity: 'server.rdns_set',
        from: ['running', 'offline', 'suspended'],
        details: { address, rdns: wanted },
      },
      async (cloud) => {
        await cloud.setReverseDns(address, wanted);
      },
    );
  } catch (err) {
    // The forward-lookup refusal belongs on the form's name field.
    if (err instanceof AppError && err.code === 'provider_refused') throw new ValidationError({ name: err.message });
    if (err instanceof CloudError) throw providerFailure(deps.log, err, { serverId: server.id, op: 'rdns' });
    throw err;
  }
}
