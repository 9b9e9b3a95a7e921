import { register } from '../../src/domain/accounts/register.ts';
import type { TestContext } from './context.ts';
import { TestBrowser } from './browser.ts';

/** The cast: named people, created through the real registration path. */
export const PASSWORD = 'correct horse battery';

export async function createPerson(
  ctx: TestContext,
  name: string,
  opts: { isAdmin?: boolean; verified?: boolean; email?: string } = {},
) {
  const email = opts.email ?? `${name.toLowerCase().replace(/\s+/g, '.')}@example.test`;
  const { user, organization } = await register(
    ctx.deps,
    { name, email, password: PASSWORD },
    { isAdmin: opts.isAdmin, verified: opts.verified },
  );
  return { ...user, organization, password: PASSWORD };
}

let emailSeq = 0;
/**
 * An address no other test in the file uses (`olivia.owner.7k2@example.test`): tests that
 * build their own cast in one file's database call people by the same names without clashing.
 */
export function uniqueEmail(name: string): string {
  return `${name.toLowerCase().replace(/\s+/g, '.')}.${(++emailSeq).toString(36)}${Math.random().toString(36).slice(2, 5)}@example.test`;
}

/** A browser signed in as `email` through the real sign-in form. */
export async function signedIn(
  ctx: TestContext,
  email: string,
  password = PASSWORD,
  ip?: string,
): Promise<TestBrowser> {
  const browser = new TestBrowser(ctx.app, ip);
  await browser.get('/login');
  const res = await browser.post('/login', { email, password });
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`);
  await browser.get(res.headers.get('location')!);
  return browser;
}
