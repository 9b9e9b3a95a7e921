import { type Kysely, sql } from 'kysely';

// The blog (src/domain/content/blog*.ts; public at /blog, staff at /admin/content/blog).
//   blog_categories   a name and a URL slug (/blog/category/<slug>).
//   blog_posts        a slug (/blog/<slug>), title, summary, Markdown body (rendered and sanitised
//                     on the server), an optional cover image (a stored file, migration 0028, with
//                     its alt text), its author, an optional category, and a status: 'draft'
//                     (staff only) or 'published' (public once published_at has come: a later
//                     published_at is a scheduled post). Deleting the post deletes its cover
//                     file in the domain (which also removes a bucket's object).
//   blog_post_tags    a post's tags, lower-case slugs (/blog/tag/<tag>).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table blog_categories (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 80),
      slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 80),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table blog_posts (
      id uuid primary key default gen_random_uuid(),
      slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 120),
      title text not null check (length(title) between 1 and 200),
      summary text not null default '' check (length(summary) <= 500),
      body text not null default '' check (length(body) <= 100000),
      cover_file_id uuid unique references stored_files (id),
      cover_alt text not null default '' check (length(cover_alt) <= 200),
      author_id uuid references users (id) on delete set null,
      category_id uuid references blog_categories (id) on delete set null,
      status text not null default 'draft' check (status in ('draft', 'published')),
      published_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (status = 'draft' or published_at is not null)
    );
    create index blog_posts_public on blog_posts (published_at desc) where status = 'published';
    create index blog_posts_category on blog_posts (category_id);
    create table blog_post_tags (
      post_id uuid not null references blog_posts (id) on delete cascade,
      tag text not null check (tag ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(tag) <= 40),
      primary key (post_id, tag)
    );
    create index blog_post_tags_tag on blog_post_tags (tag);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table blog_post_tags;
    drop table blog_posts;
    drop table blog_categories;
  `.execute(db);
}
