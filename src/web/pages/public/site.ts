import { Hono } from 'hono';
import { offeredPlans, offeredRegions, type OfferedPlan } from '../../../domain/catalogue/offer.ts';
import { CATALOGUE } from '../../../lib/data-cache.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

/**
 * The storefront (issue 16 item 1): home, pricing and regions, from the live catalogue (the
 * plans and prices the create-server wizard sells, at the current clock hour; the regions of
 * active providers). Only what the catalogue publishes reaches these pages: plan names, specs,
 * the customer's prices and region names — never providers, provider type ids, base costs or
 * markups, and no business figures. Anonymous and the same for everyone, so CDNs may keep them
 * (middleware/public-cache.ts).
 */

/** A plan as the public sees it: the customer's prices (micro-units) and its specs. */
export interface PublicPlan {
  name: string;
  category: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  transferGb: number;
  currency: string;
  monthly: bigint;
  hourly: bigint;
  /** The backups add-on per month, and the plan's rates with it (the hourly one rounded once: BILLING.md). */
  backupsMonthly: bigint;
  withBackupsMonthly: bigint;
  withBackupsHourly: bigint;
  /** Region names (labels) where it is sold. */
  regions: string[];
  /** "2 GB", "512 MB"; "4 TB", "500 GB": as people read them. */
  memory: string;
  disk: string;
  transfer: string;
}

export interface PublicRegion {
  label: string;
  /** ISO 3166-1 alpha-2, lower case. */
  country: string;
  countryName: string;
}

export interface PublicOffer {
  plans: PublicPlan[];
  /** Plans grouped by category, categories in the order their first plan comes. */
  categories: { name: string; slug: string; plans: PublicPlan[] }[];
  regions: PublicRegion[];
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });
/** "Germany" for `de`; the code itself when it names no country. */
export function countryName(code: string): string {
  try {
    return countryNames.of(code.toUpperCase()) ?? code.toUpperCase();
  } catch {
    return code.toUpperCase();
  }
}

function publicPlan(p: OfferedPlan, labels: Map<string, string>): PublicPlan {
  return {
    name: p.name,
    category: p.category,
    vcpus: p.vcpus,
    memoryMb: p.memoryMb,
    diskGb: p.diskGb,
    transferGb: p.transferGb,
    currency: p.price.currency,
    monthly: p.price.monthly,
    hourly: p.price.hourly,
    backupsMonthly: p.price.backupsMonthly,
    withBackupsMonthly: p.price.withBackupsMonthly,
    withBackupsHourly: p.price.withBackupsHourly,
    regions: p.regions.map((id) => labels.get(`${p.providerId}:${id}`) ?? id),
    memory: p.memoryMb >= 1024 && p.memoryMb % 1024 === 0 ? `${p.memoryMb / 1024} GB` : `${p.memoryMb} MB`,
    disk: `${p.diskGb} GB`,
    transfer: p.transferGb >= 1000 && p.transferGb % 1000 === 0 ? `${p.transferGb / 1000} TB` : `${p.transferGb} GB`,
  };
}

/**
 * What the public site shows of the catalogue at `at`'s clock hour: plans on sale (active, of
 * active providers, priced then) and offered regions. With `cache`, kept until the catalogue
 * changes or the hour turns (a price change takes effect at a clock hour).
 */
export async function publicOffer(deps: Pick<AppDeps, 'db' | 'cache'>, at: Date): Promise<PublicOffer> {
  const hour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
  const load = async (): Promise<PublicOffer> => {
    const [regions, plans] = await Promise.all([offeredRegions(deps.db), offeredPlans(deps.db, hour)]);
    const labels = new Map(regions.map((r) => [`${r.providerId}:${r.id}`, r.label]));
    const shown = plans.map((p) => publicPlan(p, labels));
    const categories: PublicOffer['categories'] = [];
    for (const plan of shown) {
      const group = categories.find((g) => g.name === plan.category);
      if (group) group.plans.push(plan);
      else
        categories.push({
          name: plan.category,
          slug:
            plan.category
              .toLowerCase()
              .replace(/[^a-z0-9]+/g, '-')
              .replace(/^-|-$/g, '') || `${categories.length + 1}`,
          plans: [plan],
        });
    }
    const seen = new Set<string>();
    const publicRegions = regions
      .map((r) => ({ label: r.label, country: r.country, countryName: countryName(r.country) }))
      .filter((r) => {
        const key = `${r.label}\0${r.country}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    return { plans: shown, categories, regions: publicRegions };
  };
  return deps.cache ? deps.cache.read(`public-offer:${hour.toISOString()}`, [CATALOGUE], load) : load();
}

/** The home page's teaser: the cheapest plan of each category (catalogue order), at most three. */
export function teaserPlans(offer: PublicOffer): PublicPlan[] {
  const cheapest = offer.categories.map((g) => g.plans.reduce((a, b) => (b.monthly < a.monthly ? b : a)));
  return (cheapest.length >= 3 ? cheapest : [...cheapest, ...offer.plans.filter((p) => !cheapest.includes(p))]).slice(
    0,
    3,
  );
}

/** The lowest hourly rate on sale (for "from $0.0068/hour"), or null with nothing on sale. */
export function lowestPlan(offer: PublicOffer): PublicPlan | null {
  return offer.plans.reduce<PublicPlan | null>((a, b) => (a === null || b.monthly < a.monthly ? b : a), null);
}

export function sitePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const offer = await publicOffer(deps, deps.clock.now());
    return view.page(
      c,
      'public/home',
      { offer, teaser: teaserPlans(offer), lowest: lowestPlan(offer) },
      {
        title: 'Cloud servers, billed by the hour',
        description:
          'Cloud servers (VPS) billed by the hour from a prepaid wallet: pick a plan and a region, pay only for the hours your server exists, and manage it with your team.',
      },
    );
  });

  app.get('/pricing', async (c) => {
    const offer = await publicOffer(deps, deps.clock.now());
    return view.page(
      c,
      'public/pricing',
      { offer },
      {
        title: 'Pricing',
        description:
          'Server plans with hourly and monthly prices, vCPUs, memory, disk and included transfer, the backups add-on, and the regions they run in.',
      },
    );
  });

  app.get('/regions', async (c) => {
    const offer = await publicOffer(deps, deps.clock.now());
    return view.page(
      c,
      'public/regions',
      { offer },
      {
        title: 'Regions',
        description: 'The data centre regions you can run servers in, by city and country.',
      },
    );
  });

  return app;
}
