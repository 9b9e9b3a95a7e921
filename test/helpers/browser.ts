import type { Hono } from 'hono';

/**
 * A tiny cookie-keeping client over `app.request()`, acting like a browser on the same
 * origin: it sends cookies back, `Sec-Fetch-Site: same-origin`, and the page's CSRF token.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  csrf = '';
  lastHtml = '';

  constructor(
    private readonly app: Hono,
    private readonly ip = '203.0.113.10',
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return { 'sec-fetch-site': 'same-origin', 'x-forwarded-for': this.ip, ...(cookie ? { cookie } : {}), ...extra };
  }

  private absorb(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.app.request(path, { headers: this.headers(headers) });
    this.absorb(res);
    if ((res.headers.get('content-type') ?? '').includes('text/html')) {
      this.lastHtml = await res.clone().text();
      const m =
        /name="csrf-token" content="([^"]+)"/.exec(this.lastHtml) ?? /name="_csrf" value="([^"]+)"/.exec(this.lastHtml);
      if (m) this.csrf = m[1]!;
    }
    return res;
  }

  /** Submits a form (urlencoded) with the CSRF token unless `_csrf` is given. */
  async post(
    path: string,
    form: Record<string, string> = {},
    opts: { method?: string; headers?: Record<string, string>; csrf?: boolean } = {},
  ): Promise<Response> {
    const body = new URLSearchParams({ ...(opts.csrf === false ? {} : { _csrf: this.csrf }), ...form });
    const res = await this.app.request(path, {
      method: opts.method ?? 'POST',
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded', ...opts.headers }),
      body,
    });
    this.absorb(res);
    if ((res.headers.get('content-type') ?? '').includes('text/html')) this.lastHtml = await res.clone().text();
    return res;
  }
}
