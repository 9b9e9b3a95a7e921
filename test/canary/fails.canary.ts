import { expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.ts';

// Deliberately failing, through the same database path every test file takes.
it('fails on purpose, so that the build can prove a failing test fails it', async () => {
  const database = await createTestDatabase();
  try {
    const [row] = (await database.db.selectNoFrom((eb) => eb.val(1).as('one')).execute()) as Array<{ one: number }>;
    expect(row?.one).toBe(2);
  } finally {
    await database.drop();
  }
});
