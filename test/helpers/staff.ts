import type { TestContext } from './context.ts';
import { createPerson, uniqueEmail } from './people.ts';

/** Ada Admin (a verified platform admin) and one verified person named `otherName` (a customer). */
export async function adminAndCustomer(ctx: TestContext, otherName = 'Bob Customer') {
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  const other = await createPerson(ctx, otherName, { verified: true, email: uniqueEmail(otherName) });
  return { ada, other };
}
