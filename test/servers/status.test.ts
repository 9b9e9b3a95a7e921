import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canMoveServer,
  SERVER_STATUSES,
  SERVER_TRANSITIONS,
  statusFromProvider,
  TRANSITIONAL_STATUSES,
} from '../../src/domain/servers/status.ts';
import { PROVIDER_STATUSES } from '../../src/providers/cloud.ts';
import { createTestDatabase } from '../helpers/db.ts';

/** The server status module says what the servers.status CHECK constraint says, and its moves hold together. */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

const sorted = (list: readonly string[]) => [...list].sort();

describe('server statuses', () => {
  it('are exactly the values the servers.status CHECK constraint allows, and the twelve the API names', async () => {
    const { rows } = await sql<{ definition: string }>`
      select pg_get_constraintdef(c.oid) as definition
        from pg_constraint c join pg_class t on t.oid = c.conrelid
       where c.contype = 'c' and t.relname = 'servers' and pg_get_constraintdef(c.oid) like '%status%'`.execute(
      database.db,
    );
    expect(rows).toHaveLength(1);
    const values = [...rows[0]!.definition.matchAll(/'([^']*)'::text/g)].map((m) => m[1]!);
    expect(sorted(SERVER_STATUSES)).toEqual(sorted(values));
    expect(sorted(SERVER_STATUSES)).toEqual(
      sorted([
        'provisioning',
        'booting',
        'running',
        'shutting_down',
        'offline',
        'rebooting',
        'rebuilding',
        'resizing',
        'deleting',
        'deleted',
        'suspended',
        'failed',
      ]),
    );
  });

  it('each have their moves written down, to known states, and every state is reachable from provisioning', () => {
    expect(sorted(Object.keys(SERVER_TRANSITIONS))).toEqual(sorted(SERVER_STATUSES));
    const seen = new Set<string>(['provisioning']);
    for (const s of seen) for (const next of SERVER_TRANSITIONS[s as keyof typeof SERVER_TRANSITIONS]) seen.add(next);
    expect(sorted([...seen])).toEqual(sorted(SERVER_STATUSES));
    expect(SERVER_TRANSITIONS.deleted).toEqual([]);
    expect(canMoveServer('failed', 'running')).toBe(false);
  });

  it('take the provider’s word for a moving or settled server, and keep the previous one for a word we do not know', () => {
    expect(statusFromProvider('provisioning', 'running')).toBe('running');
    expect(statusFromProvider('rebooting', 'running')).toBe('running');
    expect(statusFromProvider('running', 'restoring')).toBe('rebuilding');
    expect(statusFromProvider('running', 'unknown')).toBe('running');
    expect(statusFromProvider('offline', 'unknown')).toBe('offline');
    for (const s of TRANSITIONAL_STATUSES)
      expect(statusFromProvider('running', s === 'deleting' ? 'deleting' : s)).not.toBe('deleted');
  });

  it('never take a suspended, deleting, deleted or failed server anywhere, whatever the provider says', () => {
    for (const reported of PROVIDER_STATUSES) {
      expect(statusFromProvider('suspended', reported)).toBe('suspended');
      expect(statusFromProvider('deleted', reported)).toBe('deleted');
      expect(statusFromProvider('failed', reported)).toBe('failed');
      expect(statusFromProvider('deleting', reported)).toBe('deleting');
    }
    // The provider deleting an instance we did not delete is drift, not our delete.
    expect(statusFromProvider('running', 'deleting')).toBe('running');
  });
});
