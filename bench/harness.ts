import { rmSync } from 'node:fs';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.ts';

/** What the page and SSE benches share: a scratch PostgreSQL, and a person signed in through the real forms. */

/**
 * An embedded PostgreSQL in `.tmp/bench-postgres-<pid>` (a directory per run: two benches may run
 * at once), started fresh; `stops` gets its stop and the directory's removal (run in reverse order).
 */
export async function scratchPostgres(
  preferredPort: number,
  stops: Array<() => Promise<unknown>>,
  log: (message: string) => void,
): Promise<EmbeddedDatabase & { dir: string }> {
  const dir = path.resolve(`.tmp/bench-postgres-${process.pid}`);
  const removeDir = () => {
    rmSync(dir, { recursive: true, force: true });
    for (const suffix of ['.credentials.json', '.owner.pid']) rmSync(`${dir}${suffix}`, { force: true });
  };
  removeDir();
  log(`starting PostgreSQL in ${path.relative(process.cwd(), dir)}`);
  const postgres = await startEmbeddedPostgres(dir, preferredPort);
  stops.push(async () => removeDir());
  stops.push(() => postgres.stop());
  return Object.assign(postgres, { dir });
}

export interface BenchUser {
  name: string;
  email: string;
  password: string;
}

/** Registers through the form, then signs in through the form; returns the session cookie (`name=value`). */
export async function signUpAndIn(base: string, cookieName: string, user: BenchUser): Promise<string> {
  await submit(base, '/register', { ...user });
  const res = await submit(base, '/login', { email: user.email, password: user.password });
  const session = res.headers.getSetCookie().find((c) => c.startsWith(`${cookieName}=`));
  if (!session) throw new Error('sign-in gave no session cookie');
  return session.split(';')[0]!;
}

/** GETs the form page for its anonymous CSRF cookie and token, then posts it like a browser; expects 303. */
async function submit(base: string, at: string, fields: Record<string, string>): Promise<Response> {
  const page = await fetch(`${base}${at}`);
  const anon = page.headers
    .getSetCookie()
    .find((c) => c.startsWith('sp_csrf='))
    ?.split(';')[0];
  const token = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1];
  if (!anon || !token) throw new Error(`no CSRF token on ${at}`);
  const res = await fetch(`${base}${at}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: anon,
      origin: base,
      'sec-fetch-site': 'same-origin',
    },
    body: new URLSearchParams({ _csrf: token, ...fields }),
  });
  if (res.status !== 303) throw new Error(`POST ${at} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res;
}
