import { type Kysely, sql } from 'kysely';

// Work a process holds names the process (src/queue/liveness.ts): `node_key` is the key of the
// advisory lock that process holds for as long as it runs. When the lock is gone the process is
// gone (stopped, crashed, killed), and another process takes the work over at once instead of
// waiting for a timeout:
//   job_runs.node_key          the process running the job (a running row of a gone process is
//                              failed, and its pg-boss job retried now);
//   console_sessions.node_key  the process holding the console (its place in the limits is freed).
// Null: written before this migration, or by code that runs outside a process's services (tests).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table job_runs add column node_key integer;
    alter table console_sessions add column node_key integer;
    create index job_runs_running on job_runs (node_key) where status = 'running';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index job_runs_running;
    alter table console_sessions drop column node_key;
    alter table job_runs drop column node_key;
  `.execute(db);
}
