import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import type { TransferCreditSource } from '../../db/types.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseMoney, toDecimal } from '../../lib/money.ts';
import { parseInput } from '../../lib/validation.ts';
import { can, type Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { post } from '../ledger/post.ts';
import { DEFAULT_PRICE_PER_GB, gbToBytes } from './units.ts';

/**
 * Staff's side of transfer billing (per-region prices, packs, manual grants) and the
 * customer's pack purchase. Purchases are a guarded wallet debit (never below zero:
 * InsufficientFundsError, 422, nothing written) of kind `egress_charge` to `egress_revenue`,
 * with the credit written in the same transaction, keyed so a retried form or request buys once.
 */

export interface PackView {
  id: string;
  name: string;
  sizeGb: number;
  price: bigint;
  currency: string;
  active: boolean;
  createdAt: Date;
}

export interface CreditView {
  id: string;
  source: TransferCreditSource;
  packName: string | null;
  reason: string | null;
  totalBytes: bigint;
  remainingBytes: bigint;
  createdAt: Date;
}

const packView = (r: {
  id: string;
  name: string;
  size_gb: number;
  price: bigint;
  currency: string;
  active: boolean;
  created_at: Date;
}): PackView => ({
  id: r.id,
  name: r.name,
  sizeGb: r.size_gb,
  price: r.price,
  currency: r.currency,
  active: r.active,
  createdAt: r.created_at,
});

export async function listPacks(db: DbOrTx, opts: { activeOnly?: boolean } = {}): Promise<PackView[]> {
  let q = db
    .selectFrom('transfer_packs')
    .select(['id', 'name', 'size_gb', 'price', 'currency', 'active', 'created_at']);
  if (opts.activeOnly) q = q.where('active', '=', true);
  return (await q.orderBy('size_gb').orderBy('price').orderBy('id').execute()).map(packView);
}

/** Credits of the organization, newest first (all, or only those with GB left). */
export async function listCredits(
  db: DbOrTx,
  organizationId: string,
  opts: { open?: boolean; limit?: number } = {},
): Promise<CreditView[]> {
  let q = db
    .selectFrom('transfer_credits as c')
    .leftJoin('transfer_packs as p', 'p.id', 'c.pack_id')
    .select([
      'c.id',
      'c.source',
      'p.name as pack_name',
      'c.reason',
      'c.total_bytes',
      'c.remaining_bytes',
      'c.created_at',
    ])
    .where('c.organization_id', '=', organizationId);
  if (opts.open) q = q.where('c.remaining_bytes', '>', 0n);
  const rows = await q
    .orderBy('c.created_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(opts.limit ?? 100)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    source: r.source,
    packName: r.pack_name,
    reason: r.reason,
    totalBytes: r.total_bytes,
    remainingBytes: r.remaining_bytes,
    createdAt: r.created_at,
  }));
}

// ---------------------------------------------------------------- customer: buying a pack

export const purchaseInput = z.object({
  pack_id: z.string({ error: 'Choose a pack.' }).trim().min(1, 'Choose a pack.'),
  purchase_id: z.uuid({ error: 'This form has expired. Reload the page and try again.' }).optional(),
});

export interface Purchase {
  credit: CreditView;
  transactionId: string;
  balance: bigint;
  duplicate: boolean;
}

/** A fresh purchase id for a form to carry (a double submit then buys once). */
export const newPurchaseId = () => randomUUID();

/**
 * Buys transfer pack `pack_id` for the actor's organization from its wallet (needs
 * `egress_manage`). `purchase_id` names the purchase: the same id again returns the first
 * purchase and charges nothing. Unknown or inactive pack: 422 on `pack_id`; the wallet short:
 * 422 insufficient_funds, nothing written.
 */
export async function buyPack(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  values: { pack_id?: unknown; purchase_id?: unknown },
): Promise<Purchase> {
  const organizationId = actor.organizationId;
  if (!organizationId) throw new NotFoundError('You do not belong to an organization yet.');
  if (!can(actor, 'egress_manage')) throw new ForbiddenError('Buying transfer needs the egress_manage permission.');
  const input = parseInput(purchaseInput, values);
  const purchaseId = input.purchase_id ?? randomUUID();
  const unknownPack = () => new ValidationError({ pack_id: 'Choose one of the packs on offer.' });
  if (!isUuid(input.pack_id)) throw unknownPack();
  const pack = await deps.db
    .selectFrom('transfer_packs')
    .select(['id', 'name', 'size_gb', 'price', 'currency', 'active'])
    .where('id', '=', input.pack_id)
    .executeTakeFirst();
  const key = `transfer:pack:${organizationId}:${purchaseId}`;
  return inTransaction(deps.db, async (trx) => {
    const earlier = await trx
      .selectFrom('transfer_credits')
      .select('id')
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    if (!earlier && (!pack || !pack.active)) throw unknownPack();
    const wallet = await trx
      .selectFrom('wallets')
      .select(['id', 'currency'])
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow();
    if (earlier) return earlierPurchase(trx, earlier.id);
    if (pack!.currency !== wallet.currency)
      throw new ValidationError({ pack_id: 'This pack is priced in another currency than your wallet.' });
    const posted = await post(trx, {
      idempotencyKey: key,
      kind: 'egress_charge',
      organizationId,
      currency: wallet.currency,
      description: `Transfer pack: ${pack!.name} (${pack!.size_gb} GB)`,
      createdBy: actor.userId,
      details: { pack_id: pack!.id, size_gb: pack!.size_gb, purchase_id: purchaseId },
      lines: [
        { walletId: wallet.id, amount: -pack!.price },
        { account: 'egress_revenue', amount: pack!.price },
      ],
    });
    // A concurrent request with the same purchase id posted first (its posting is this one).
    if (posted.duplicate) {
      const first = await trx
        .selectFrom('transfer_credits')
        .select('id')
        .where('idempotency_key', '=', key)
        .executeTakeFirstOrThrow();
      return earlierPurchase(trx, first.id);
    }
    const bytes = gbToBytes(pack!.size_gb);
    const credit = await trx
      .insertInto('transfer_credits')
      .values({
        organization_id: organizationId,
        source: 'pack',
        pack_id: pack!.id,
        ledger_transaction_id: posted.transactionId,
        total_bytes: bytes,
        remaining_bytes: bytes,
        idempotency_key: key,
      })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    await recordActivity(trx, {
      action: 'transfer.pack_bought',
      actorUserId: actor.userId,
      impersonatorUserId: actor.impersonatorUserId,
      organizationId,
      target: { type: 'transfer_credit', id: credit.id },
      origin: actor.origin,
      occurredAt: deps.clock.now(),
      details: { pack: pack!.name, size_gb: pack!.size_gb, price: toDecimal(pack!.price, 2), currency: pack!.currency },
    });
    return {
      credit: {
        id: credit.id,
        source: 'pack',
        packName: pack!.name,
        reason: null,
        totalBytes: bytes,
        remainingBytes: bytes,
        createdAt: credit.created_at,
      },
      transactionId: posted.transactionId,
      balance: posted.balances.get(wallet.id) ?? 0n,
      duplicate: false,
    };
  });
}

/** A purchase made before (same purchase id): the credit, its posting and the balance now. */
async function earlierPurchase(trx: DbOrTx, creditId: string): Promise<Purchase> {
  const row = await trx
    .selectFrom('transfer_credits as c')
    .leftJoin('transfer_packs as p', 'p.id', 'c.pack_id')
    .innerJoin('wallets as w', 'w.organization_id', 'c.organization_id')
    .select([
      'c.id',
      'c.source',
      'p.name as pack_name',
      'c.reason',
      'c.total_bytes',
      'c.remaining_bytes',
      'c.created_at',
      'c.ledger_transaction_id',
      'w.balance',
    ])
    .where('c.id', '=', creditId)
    .executeTakeFirstOrThrow();
  return {
    credit: {
      id: row.id,
      source: row.source,
      packName: row.pack_name,
      reason: row.reason,
      totalBytes: row.total_bytes,
      remainingBytes: row.remaining_bytes,
      createdAt: row.created_at,
    },
    transactionId: row.ledger_transaction_id!,
    balance: row.balance,
    duplicate: true,
  };
}

// ---------------------------------------------------------------- staff

export interface RegionPriceView {
  providerId: string;
  providerName: string;
  regionId: string;
  label: string;
  pricePerGb: bigint;
  currency: string;
  isDefault: boolean;
  updatedAt: Date | null;
}

export async function listRegionPrices(db: DbOrTx, actor: Actor, currency: string): Promise<RegionPriceView[]> {
  requirePlatformAdmin(actor);
  const rows = await db
    .selectFrom('server_regions as r')
    .innerJoin('cloud_providers as p', 'p.id', 'r.provider_id')
    .leftJoin('transfer_region_prices as t', (j) =>
      j.onRef('t.provider_id', '=', 'r.provider_id').onRef('t.region_id', '=', 'r.region_id'),
    )
    .select([
      'r.provider_id',
      'p.name as provider_name',
      'r.region_id',
      'r.label',
      't.price_per_gb',
      't.currency',
      't.updated_at',
    ])
    .orderBy('p.name')
    .orderBy('r.display_order')
    .orderBy('r.region_id')
    .execute();
  return rows.map((r) => ({
    providerId: r.provider_id,
    providerName: r.provider_name,
    regionId: r.region_id,
    label: r.label,
    pricePerGb: r.price_per_gb ?? DEFAULT_PRICE_PER_GB,
    currency: r.currency ?? currency,
    isDefault: r.price_per_gb === null,
    updatedAt: r.updated_at,
  }));
}

const priceInput = z.object({
  provider_id: z.string().trim(),
  region_id: z.string().trim().min(1, 'Choose a region.'),
  price_per_gb: z.string({ error: 'Enter a price per GB.' }).trim().min(1, 'Enter a price per GB.'),
});

/** Sets a region's overage price per GB (a decimal with up to 6 places, ≥ 0). Audited. */
export async function setRegionPrice(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  actor: Actor,
  values: Record<string, unknown>,
): Promise<void> {
  requirePlatformAdmin(actor);
  const input = parseInput(priceInput, values);
  const price = parseMoney(input.price_per_gb, 6);
  if (price === null || price < 0n)
    throw new ValidationError({ price_per_gb: 'Enter a price like 0.01 (at most 6 decimals, not negative).' });
  if (!isUuid(input.provider_id)) throw new ValidationError({ region_id: 'Choose a region from the list.' });
  const region = await deps.db
    .selectFrom('server_regions')
    .select('region_id')
    .where('provider_id', '=', input.provider_id)
    .where('region_id', '=', input.region_id)
    .executeTakeFirst();
  if (!region) throw new ValidationError({ region_id: 'Choose a region from the list.' });
  const currency = deps.config.BILLING_CURRENCY;
  await inTransaction(deps.db, async (trx) => {
    await trx
      .insertInto('transfer_region_prices')
      .values({
        provider_id: input.provider_id,
        region_id: input.region_id,
        price_per_gb: price,
        currency,
        updated_by: actor.userId,
        updated_at: deps.clock.now(),
      })
      .onConflict((oc) =>
        oc
          .columns(['provider_id', 'region_id'])
          .doUpdateSet({ price_per_gb: price, currency, updated_by: actor.userId, updated_at: deps.clock.now() }),
      )
      .execute();
    await recordActivity(trx, {
      action: 'admin.transfer_price_set',
      actorUserId: actor.userId,
      target: { type: 'region', id: `${input.provider_id}:${input.region_id}` },
      origin: actor.origin,
      occurredAt: deps.clock.now(),
      details: { region: input.region_id, price_per_gb: toDecimal(price, 6), currency },
    });
  });
}

const packInput = z.object({
  name: z
    .string({ error: 'Name the pack.' })
    .trim()
    .min(1, 'Name the pack.')
    .max(80, 'Keep the name under 80 characters.'),
  size_gb: z
    .string({ error: 'Enter the size in GB.' })
    .trim()
    .regex(/^\d{1,7}$/, 'Enter a whole number of GB.')
    .refine((v) => Number(v) > 0 && Number(v) <= 1_000_000, 'Between 1 and 1,000,000 GB.'),
  price: z.string({ error: 'Enter a price.' }).trim().min(1, 'Enter a price.'),
  active: z.union([z.boolean(), z.string()]).optional(),
});

/** Creates a pack, or changes pack `packId` (name, size, price, active). Audited. */
export async function savePack(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  actor: Actor,
  values: Record<string, unknown>,
  packId?: string,
): Promise<PackView> {
  requirePlatformAdmin(actor);
  const input = parseInput(packInput, values);
  const price = parseMoney(input.price, 2);
  if (price === null || price <= 0n) throw new ValidationError({ price: 'Enter a positive price like 5.00.' });
  const active =
    input.active === undefined ? true : input.active === true || input.active === 'on' || input.active === 'true';
  if (packId !== undefined && !isUuid(packId)) throw new NotFoundError('No such pack.');
  return inTransaction(deps.db, async (trx) => {
    const row = packId
      ? await trx
          .updateTable('transfer_packs')
          .set({ name: input.name, size_gb: Number(input.size_gb), price, active, updated_at: deps.clock.now() })
          .where('id', '=', packId)
          .returning(['id', 'name', 'size_gb', 'price', 'currency', 'active', 'created_at'])
          .executeTakeFirst()
      : await trx
          .insertInto('transfer_packs')
          .values({
            name: input.name,
            size_gb: Number(input.size_gb),
            price,
            currency: deps.config.BILLING_CURRENCY,
            active,
            created_by: actor.userId,
            created_at: deps.clock.now(),
            updated_at: deps.clock.now(),
          })
          .returning(['id', 'name', 'size_gb', 'price', 'currency', 'active', 'created_at'])
          .executeTakeFirstOrThrow();
    if (!row) throw new NotFoundError('No such pack.');
    await recordActivity(trx, {
      action: 'admin.transfer_pack_saved',
      actorUserId: actor.userId,
      target: { type: 'transfer_pack', id: row.id },
      origin: actor.origin,
      occurredAt: deps.clock.now(),
      details: { name: row.name, size_gb: row.size_gb, price: toDecimal(row.price, 2), active: row.active },
    });
    return packView(row);
  });
}

/** Turns a pack on or off (customers see active packs only; bought credits stay). */
export async function setPackActive(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  actor: Actor,
  packId: string,
  active: boolean,
): Promise<PackView> {
  requirePlatformAdmin(actor);
  if (!isUuid(packId)) throw new NotFoundError('No such pack.');
  const pack = await deps.db.selectFrom('transfer_packs').selectAll().where('id', '=', packId).executeTakeFirst();
  if (!pack) throw new NotFoundError('No such pack.');
  return savePack(
    deps,
    actor,
    { name: pack.name, size_gb: String(pack.size_gb), price: toDecimal(pack.price, 2), active },
    packId,
  );
}

export const grantInput = z.object({
  grant_id: z.uuid({ error: 'This form has expired. Reload the page and try again.' }),
  organization_id: z.string({ error: 'Choose an organization.' }).trim().min(1, 'Choose an organization.'),
  gb: z
    .string({ error: 'Enter the GB to grant.' })
    .trim()
    .regex(/^\d{1,7}$/, 'Enter a whole number of GB.')
    .refine((v) => Number(v) > 0 && Number(v) <= 1_000_000, 'Between 1 and 1,000,000 GB.'),
  reason: z
    .string({ error: 'Say why.' })
    .trim()
    .min(1, 'Say why: the reason is kept with the grant.')
    .max(500, 'Keep the reason under 500 characters.'),
});

export const newGrantId = () => randomUUID();

/** Grants transfer credit to an organization (staff; reason required; audited; `grant_id` makes it once-only). */
export async function grantCredit(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  values: Record<string, unknown>,
): Promise<{ creditId: string; duplicate: boolean }> {
  requirePlatformAdmin(actor);
  const input = parseInput(grantInput, values);
  const noOrg = () => new ValidationError({ organization_id: 'No organization with that id.' });
  if (!isUuid(input.organization_id)) throw noOrg();
  const org = await deps.db
    .selectFrom('organizations')
    .select(['id', 'name'])
    .where('id', '=', input.organization_id)
    .executeTakeFirst();
  if (!org) throw noOrg();
  const bytes = gbToBytes(Number(input.gb));
  return inTransaction(deps.db, async (trx) => {
    const row = await trx
      .insertInto('transfer_credits')
      .values({
        organization_id: org.id,
        source: 'grant',
        reason: input.reason,
        granted_by: actor.userId,
        total_bytes: bytes,
        remaining_bytes: bytes,
        idempotency_key: `transfer:grant:${input.grant_id}`,
        created_at: deps.clock.now(),
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) {
      const earlier = await trx
        .selectFrom('transfer_credits')
        .select('id')
        .where('idempotency_key', '=', `transfer:grant:${input.grant_id}`)
        .executeTakeFirstOrThrow();
      return { creditId: earlier.id, duplicate: true };
    }
    await recordActivity(trx, {
      action: 'admin.transfer_credit_granted',
      actorUserId: actor.userId,
      organizationId: org.id,
      target: { type: 'organization', id: org.id },
      origin: actor.origin,
      occurredAt: deps.clock.now(),
      details: { gb: Number(input.gb), reason: input.reason },
    });
    return { creditId: row.id, duplicate: false };
  });
}

export interface TransferRunView {
  id: string;
  kind: 'hourly' | 'close';
  periodStart: Date;
  status: string;
  trigger: string;
  worker: string | null;
  serversRead: number;
  readErrors: number;
  poolsCharged: number;
  bytesCharged: bigint;
  creditBytes: bigint;
  amount: bigint;
  errors: string[];
  durationMs: number | null;
  startedAt: Date;
}

export async function listTransferRuns(db: DbOrTx, actor: Actor, limit = 50): Promise<TransferRunView[]> {
  requirePlatformAdmin(actor);
  const rows = await db
    .selectFrom('transfer_runs')
    .selectAll()
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    periodStart: r.period_start,
    status: r.status,
    trigger: r.trigger,
    worker: r.worker,
    serversRead: r.servers_read,
    readErrors: r.read_errors,
    poolsCharged: r.pools_charged,
    bytesCharged: r.bytes_charged,
    creditBytes: r.credit_bytes,
    amount: r.amount,
    errors: r.errors ?? [],
    durationMs: r.duration_ms,
    startedAt: r.started_at,
  }));
}

/** Organizations whose name or id match, for the grant form's chooser. */
export async function organizationsForGrant(db: DbOrTx, actor: Actor) {
  requirePlatformAdmin(actor);
  return db.selectFrom('organizations').select(['id', 'name']).orderBy('name').limit(500).execute();
}
