import { type Kysely, sql } from 'kysely';

// Frozen history: users, organizations with roles and members, wallets, sessions and tokens.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users (
      id uuid primary key default gen_random_uuid(),
      email text not null check (email = lower(email) and length(email) between 3 and 254),
      name text not null check (length(name) between 1 and 100),
      phone text check (length(phone) <= 40),
      timezone text not null default 'UTC',
      password_hash text not null,
      is_admin boolean not null default false,
      -- active: may sign in; suspended: blocked by staff; review: held by fraud screening
      status text not null default 'active' check (status in ('active', 'suspended', 'review')),
      email_verified_at timestamptz,
      totp_secret text,
      totp_enabled_at timestamptz,
      totp_last_step bigint not null default 0,
      active_organization_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index users_email_key on users (email);

    create table organizations (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 100),
      personal boolean not null default false,
      website text,
      address text,
      tax_id text,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    alter table users add constraint users_active_organization_fk
      foreign key (active_organization_id) references organizations (id) on delete set null;

    create table roles (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id) on delete cascade,
      name text not null check (length(name) between 1 and 50),
      permissions text[] not null default '{}',
      predefined boolean not null default false,
      created_at timestamptz not null default now(),
      unique (organization_id, name)
    );

    create table organization_members (
      organization_id uuid not null references organizations (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      role_id uuid not null references roles (id),
      created_at timestamptz not null default now(),
      primary key (organization_id, user_id)
    );
    create index organization_members_user_idx on organization_members (user_id);

    create table wallets (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null unique references organizations (id) on delete restrict,
      currency char(3) not null default 'USD',
      balance bigint not null default 0,
      created_at timestamptz not null default now()
    );

    create table sessions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      token_hash bytea not null unique,
      csrf_token text not null,
      -- mfa: password accepted, waiting for the second factor (grants nothing else); full: signed in
      stage text not null check (stage in ('mfa', 'full')),
      ip text,
      user_agent text,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      expires_at timestamptz not null
    );
    create index sessions_user_idx on sessions (user_id);

    create table access_tokens (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      token_hash bytea not null unique,
      ip text,
      user_agent text,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      expires_at timestamptz not null,
      revoked_at timestamptz
    );
    create index access_tokens_user_idx on access_tokens (user_id);

    create table user_tokens (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      -- verify_email: proves the address in "email"; reset_password: lets the holder set a password
      purpose text not null check (purpose in ('verify_email', 'reset_password')),
      token_hash bytea not null unique,
      email text not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz
    );
    create index user_tokens_user_idx on user_tokens (user_id, purpose);

    create table recovery_codes (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      code_hash bytea not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index recovery_codes_user_idx on recovery_codes (user_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table recovery_codes, user_tokens, access_tokens, sessions, wallets, organization_members, roles;
    alter table users drop constraint users_active_organization_fk;
    drop table organizations, users;`.execute(db);
}
