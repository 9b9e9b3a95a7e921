import { type Kysely, sql } from 'kysely';

// Each process keeps signed-in sessions (with the user and their role in the active
// organization) in memory for a short while (src/domain/accounts/session-cache.ts). These
// triggers tell every process, through NOTIFY on `skypanel_auth` at commit, whose sessions to
// forget when something they depend on changes, whichever code (or person with psql) changed
// it: a session or API access token ended or changed, a user changed (suspended, made admin, renamed, another active
// organization), a membership added, changed or removed. A role's permissions changing (or a
// role going away) names everyone: '*'. The payload is the user ids, comma-separated, or '*'
// when there are more than 100. A session's last_seen_at (a token's last_used_at) moving on alone names nobody.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function auth_changed(ids uuid[]) returns void language plpgsql as $$
    begin
      if ids is null or cardinality(ids) = 0 then return; end if;
      perform pg_notify('skypanel_auth', case when cardinality(ids) > 100 then '*' else array_to_string(ids, ',') end);
    end $$;

    create function auth_changed_old_user_id() returns trigger language plpgsql as $$
    begin
      perform auth_changed(array(select distinct user_id from old_rows));
      return null;
    end $$;
    create function auth_changed_new_user_id() returns trigger language plpgsql as $$
    begin
      perform auth_changed(array(select distinct user_id from new_rows));
      return null;
    end $$;
    create function auth_changed_users() returns trigger language plpgsql as $$
    begin
      perform auth_changed(array(select distinct id from old_rows));
      return null;
    end $$;
    create function auth_changed_sessions() returns trigger language plpgsql as $$
    begin
      perform auth_changed(array(
        select distinct n.user_id from new_rows n join old_rows o using (id)
         where (o.user_id, o.stage, o.csrf_token, o.expires_at, o.impersonator_user_id, o.impersonator_session_id)
               is distinct from
               (n.user_id, n.stage, n.csrf_token, n.expires_at, n.impersonator_user_id, n.impersonator_session_id)));
      return null;
    end $$;
    create function auth_changed_access_tokens() returns trigger language plpgsql as $$
    begin
      perform auth_changed(array(
        select distinct n.user_id from new_rows n join old_rows o using (id)
         where (o.user_id, o.revoked_at, o.expires_at) is distinct from (n.user_id, n.revoked_at, n.expires_at)));
      return null;
    end $$;
    create function auth_changed_everyone() returns trigger language plpgsql as $$
    begin
      perform pg_notify('skypanel_auth', '*');
      return null;
    end $$;

    create trigger sessions_deleted_auth after delete on sessions
      referencing old table as old_rows for each statement execute function auth_changed_old_user_id();
    create trigger sessions_updated_auth after update on sessions
      referencing old table as old_rows new table as new_rows for each statement execute function auth_changed_sessions();
    create trigger access_tokens_deleted_auth after delete on access_tokens
      referencing old table as old_rows for each statement execute function auth_changed_old_user_id();
    create trigger access_tokens_updated_auth after update on access_tokens
      referencing old table as old_rows new table as new_rows for each statement execute function auth_changed_access_tokens();
    create trigger users_updated_auth after update on users
      referencing old table as old_rows for each statement execute function auth_changed_users();
    create trigger users_deleted_auth after delete on users
      referencing old table as old_rows for each statement execute function auth_changed_users();
    create trigger members_inserted_auth after insert on organization_members
      referencing new table as new_rows for each statement execute function auth_changed_new_user_id();
    create trigger members_updated_auth after update on organization_members
      referencing old table as old_rows for each statement execute function auth_changed_old_user_id();
    create trigger members_deleted_auth after delete on organization_members
      referencing old table as old_rows for each statement execute function auth_changed_old_user_id();
    create trigger roles_changed_auth after update or delete on roles
      for each statement execute function auth_changed_everyone();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger sessions_deleted_auth on sessions;
    drop trigger sessions_updated_auth on sessions;
    drop trigger access_tokens_deleted_auth on access_tokens;
    drop trigger access_tokens_updated_auth on access_tokens;
    drop trigger users_updated_auth on users;
    drop trigger users_deleted_auth on users;
    drop trigger members_inserted_auth on organization_members;
    drop trigger members_updated_auth on organization_members;
    drop trigger members_deleted_auth on organization_members;
    drop trigger roles_changed_auth on roles;
    drop function auth_changed_everyone();
    drop function auth_changed_sessions();
    drop function auth_changed_access_tokens();
    drop function auth_changed_users();
    drop function auth_changed_new_user_id();
    drop function auth_changed_old_user_id();
    drop function auth_changed(uuid[]);
  `.execute(db);
}
