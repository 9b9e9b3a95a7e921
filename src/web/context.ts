import type { MaintenanceSettings } from '../domain/settings/platform.ts';
import type { ThemeId } from '../domain/settings/themes.ts';
import type { Branding } from '../domain/settings/site.ts';
import type { ShownAnnouncement } from '../domain/announcements/announcements.ts';
import type { Actor } from '../domain/access/actor.ts';
import type { ArrearsBanner } from '../domain/dunning/query.ts';
import type { HeaderStatus } from '../domain/notifications/header.ts';
import type { SharedRateLimiter } from '../domain/security/shared-limiter.ts';
import type { TokenActor } from '../domain/accounts/access-tokens.ts';
import type { SessionUser } from '../domain/accounts/sessions.ts';
import type { SessionCache } from '../domain/accounts/session-cache.ts';
import type { RenderedPages } from './rendered-pages.ts';
import type { CachedToken } from './api/v1/bearer-auth.ts';
import type { Logger } from '../lib/log.ts';
import type { Services } from '../services.ts';
import type { Manifest } from './assets.ts';
import type { RealtimeHub } from './realtime/hub.ts';

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string;
    log: Logger;
    nonce: string;
    clientIp: string;
    /** A fully signed-in browser session, or null. */
    auth: SessionUser | null;
    /** A session that passed the password step and still owes its second factor. */
    pendingMfa: SessionUser | null;
    csrfToken: string;
    /** The bearer-authenticated API caller (JSON API only). */
    apiActor: TokenActor | null;
    /** Who acts, in which organization, with which permissions (pages and API alike). */
    actor: Actor | null;
    /** The active organization's arrears, for the portal's banner (middleware/arrears.ts); null when its balance is not below zero. */
    arrears: ArrearsBanner | null;
    /** The portal header's unread count and balance (middleware/header-status.ts); null when the page did not load them. */
    headerStatus: HeaderStatus | null;
    /** Maintenance mode while it is on (middleware/maintenance.ts), for every layout's banner; null when off. */
    maintenance: MaintenanceSettings | null;
    /** The colour preset of this request's pages (middleware/theme.ts): the user's, else the platform default. */
    theme: ThemeId;
    /** The brand (middleware/theme.ts, domain/settings/site.ts): every layout's name, logo, favicon, colour, footer links. */
    branding: Branding;
    /** The announcements this visitor sees now (middleware/announcements.ts), for every layout's banner. */
    announcements: ShownAnnouncement[];
  }
}

/** Everything the web layer needs: the process's services plus what serving HTTP adds (src/services.ts, `startWeb`). */
export interface AppDeps extends Services {
  assets: Manifest;
  hub: RealtimeHub;
  /** Tier rate limits, counted locally and shared through PostgreSQL. */
  rateLimiter: SharedRateLimiter;
  /** Signed-in sessions kept in this process while nothing they depend on changes (domain/accounts/session-cache.ts). */
  sessionCache: SessionCache;
  /** The same for API access tokens, with the membership each acts in (web/api/v1/bearer-auth.ts). */
  tokenCache: SessionCache<CachedToken>;
  /** Reports whether the job queue is running, for /ready. */
  queueHealthy: () => boolean;
  /** Rendered pages reused while their inputs are the same (web/rendered-pages.ts). */
  renderedPages: RenderedPages;
}
