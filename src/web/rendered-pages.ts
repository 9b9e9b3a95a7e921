import { randomBytes } from 'node:crypto';

/**
 * Rendered pages kept in this process and reused while what they were made from is the same.
 *
 * Rendering a page and encoding it measured half of a page view's CPU (`npm run bench`). A page
 * is a pure function of its template, its data and its request context (the actor, the user,
 * the header's balance, the banners, the path…), and most of that data comes from the data
 * cache as shared, frozen objects, so two views of a page with the same inputs can send the
 * same bytes. The renderer (render.ts) names the inputs with `identityKey`
 * (src/lib/shared-values.ts) and, on a miss, renders once with placeholders where the two
 * values that differ on every request go (the CSP nonce and the masked CSRF token); a hit is
 * the kept pieces joined with this request's values.
 *
 * Kept by recency, at most `maxEntries` pages and `maxBytes` bytes, and forgotten after
 * `idleMs` without a view. Nothing is ever invalidated here: new data is new objects, hence a new
 * key, and the old page (which no request can name any more) ages out.
 */
export interface KeptPage {
  /** The page's bytes between the placeholders. */
  pieces: Array<Buffer<ArrayBuffer>>;
  /** What goes after each piece but the last: the nonce or the CSRF token. */
  slots: Array<'nonce' | 'csrf'>;
  /** Whether rendering read the CSRF token (a page that prints it is private: middleware/public-cache.ts). */
  csrfShown: boolean;
  bytes: number;
  /** When a view last used it (ms). */
  usedAt: number;
}

/** The placeholders a kept page is rendered with: random per process, letters and digits only (escaping leaves them as they are). */
export const PLACEHOLDERS = {
  nonce: `spnonce${randomBytes(12).toString('hex')}`,
  csrf: `spcsrf${randomBytes(12).toString('hex')}`,
} as const;

const SPLIT = new RegExp(`(${PLACEHOLDERS.nonce}|${PLACEHOLDERS.csrf})`);

/** What the per-request values may hold to be put in place of a placeholder unchanged by HTML escaping. */
const SAFE = /^[A-Za-z0-9+/=_-]*$/;

export class RenderedPages {
  private readonly pages = new Map<string, KeptPage>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly limits: { maxEntries: number; maxBytes: number; idleMs?: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** The kept page for `key`, made the most recent. */
  get(key: string): KeptPage | undefined {
    const page = this.pages.get(key);
    if (!page) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    page.usedAt = this.now();
    this.pages.delete(key);
    this.pages.set(key, page);
    return page;
  }

  /** Keeps `html` (rendered with the placeholders) under `key`; returns it as a kept page. */
  keep(key: string, html: string, csrfShown: boolean): KeptPage {
    const parts = html.split(SPLIT);
    const pieces: Array<Buffer<ArrayBuffer>> = [];
    const slots: KeptPage['slots'] = [];
    let bytes = 0;
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 1) {
        slots.push(parts[i] === PLACEHOLDERS.nonce ? 'nonce' : 'csrf');
        continue;
      }
      const piece = Buffer.from(parts[i]!, 'utf8');
      bytes += piece.length;
      pieces.push(piece);
    }
    const now = this.now();
    const page: KeptPage = { pieces, slots, csrfShown, bytes, usedAt: now };
    if (bytes > this.limits.maxBytes / 8) return page;
    this.forget(key);
    this.pages.set(key, page);
    this.bytes += bytes;
    // Least recently used first (a view moves its page to the end).
    const idleSince = now - (this.limits.idleMs ?? 60_000);
    for (const [oldest, kept] of this.pages) {
      const over = this.pages.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes;
      if (!over && kept.usedAt >= idleSince) break;
      this.forget(oldest);
    }
    return page;
  }

  private forget(key: string): void {
    const page = this.pages.get(key);
    if (!page) return;
    this.pages.delete(key);
    this.bytes -= page.bytes;
  }

  /** A view rendered without looking for a kept page (a one-time message shown, or inputs that cannot be named). */
  rendered(): void {
    this.misses++;
  }

  /** Pages kept, their bytes, views that reused one (hits) and views rendered (misses): /metrics, tests, `npm run bench`. */
  get stats(): { size: number; bytes: number; hits: number; misses: number } {
    return { size: this.pages.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }
}

/** Whether a nonce and token can fill a kept page's placeholders (they always can: base64 / base64url). */
export function fillable(nonce: string, csrfToken: string): boolean {
  return SAFE.test(nonce) && SAFE.test(csrfToken);
}

/**
 * Filled pages are cut from slabs of this size, one after the other, as Node's own Buffer pool
 * does for small buffers: a page of its own memory each (Buffer.concat) measured 6% of a page
 * view's CPU in the allocation and the copy, and more in the garbage collections that memory
 * outside the heap brings on. A slab is never written again once passed: it is freed when the
 * last response cut from it has been sent. Small, so that a slow reader keeps little alive.
 */
const SLAB_BYTES = 256 * 1024;
let slab: Buffer<ArrayBuffer> | null = null;
let slabUsed = 0;

function bytesFor(length: number): Buffer<ArrayBuffer> {
  if (length > SLAB_BYTES / 4) return Buffer.allocUnsafeSlow(length);
  if (!slab || slabUsed + length > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const bytes = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += (length + 7) & ~7;
  return bytes;
}

/** The page's bytes with this request's nonce and CSRF token in place of the placeholders. */
export function fill(page: KeptPage, nonce: string, csrfToken: string): Buffer<ArrayBuffer> {
  if (!page.slots.length) return page.pieces[0]!;
  let length = 0;
  for (const piece of page.pieces) length += piece.length;
  for (const slot of page.slots) length += slot === 'nonce' ? nonce.length : csrfToken.length;
  // Every byte is written below: pieces and values end to end.
  const out = bytesFor(length);
  let at = 0;
  for (let i = 0; i < page.pieces.length; i++) {
    at += page.pieces[i]!.copy(out, at);
    const slot = page.slots[i];
    if (slot !== undefined) at += out.write(slot === 'nonce' ? nonce : csrfToken, at, 'latin1');
  }
  return out;
}
