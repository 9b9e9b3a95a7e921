import { type Kysely, sql } from 'kysely';

// What each server has been charged per UTC calendar month, kept by the database as charge rows
// are written, so the hourly engine reads one row per server for the monthly cap instead of
// summing up to 744 charges of each (late in a month that sum dominated a run at scale).
// Charge rows never change or go away (the trigger below refuses it), so the total stays exact.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table server_month_charges (
      server_id uuid not null references servers (id),
      -- the first day of the UTC month
      month date not null check (month = date_trunc('month', month)),
      charged bigint not null check (charged >= 0),
      primary key (server_id, month)
    );

    create function server_charges_add_to_month() returns trigger language plpgsql as $$
    begin
      insert into server_month_charges (server_id, month, charged)
      select server_id, date_trunc('month', hour_start at time zone 'UTC')::date, sum(amount)
        from new_rows group by 1, 2
      on conflict (server_id, month) do update set charged = server_month_charges.charged + excluded.charged;
      return null;
    end $$;
    create trigger server_charges_add_to_month after insert on server_charges
      referencing new table as new_rows for each statement execute function server_charges_add_to_month();

    create function server_charges_are_final() returns trigger language plpgsql as $$
    begin
      raise exception 'a server charge''s server, hour and amount never change, and charges are never deleted';
    end $$;
    create trigger server_charges_are_final before update of server_id, hour_start, amount or delete on server_charges
      for each row execute function server_charges_are_final();

    insert into server_month_charges (server_id, month, charged)
    select server_id, date_trunc('month', hour_start at time zone 'UTC')::date, sum(amount)
      from server_charges group by 1, 2;

    -- A charge row's organization is its server's (which references organizations) and its run
    -- is the run writing it: the two foreign keys checked nothing the writers don't already
    -- guarantee, and cost a fifth of an hourly run at 100,000 servers (one check per row each).
    alter table server_charges drop constraint server_charges_organization_id_fkey;
    alter table server_charges drop constraint server_charges_billing_run_id_fkey;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table server_charges add constraint server_charges_organization_id_fkey
      foreign key (organization_id) references organizations (id);
    alter table server_charges add constraint server_charges_billing_run_id_fkey
      foreign key (billing_run_id) references billing_runs (id);
    drop trigger server_charges_are_final on server_charges;
    drop function server_charges_are_final();
    drop trigger server_charges_add_to_month on server_charges;
    drop function server_charges_add_to_month();
    drop table server_month_charges;
  `.execute(db);
}
