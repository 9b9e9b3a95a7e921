import { type Kysely, sql } from 'kysely';

// The public site's content, edited by staff under /admin/content (src/domain/content):
//   faq_categories   headings on /faq, in `position` order.
//   faq_items        a question and its Markdown answer under one heading; shown when published.
//   docs_categories  the knowledge base's sections (/docs/<slug>), in `position` order.
//   docs_articles    an article (/docs/<category>/<slug>): title, summary, Markdown body; shown
//                    when published. The slug is unique within its category.
//   docs_files       files offered for download with an article (/docs/files/<id>): a stored file
//                    (src/domain/files) with its safe name; deleting the stored file deletes the
//                    link, so the domain deletes stored files (and their bucket objects) itself.
//   site_pages       pages such as /about, /terms and /privacy: slug, title, Markdown body,
//                    published. Seeded with starter text that says it is a template to edit.
// Nothing here is cached by the data cache, so no NOTIFY trigger is needed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table faq_categories (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 100),
      position integer not null default 0 check (position between 0 and 9999),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table faq_items (
      id uuid primary key default gen_random_uuid(),
      category_id uuid not null references faq_categories (id) on delete restrict,
      question text not null check (length(question) between 1 and 300),
      answer text not null default '' check (length(answer) <= 20000),
      position integer not null default 0 check (position between 0 and 9999),
      published boolean not null default false,
      created_by uuid references users (id) on delete set null,
      updated_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index faq_items_category on faq_items (category_id, position);
    create table docs_categories (
      id uuid primary key default gen_random_uuid(),
      slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 80),
      name text not null check (length(name) between 1 and 100),
      description text not null default '' check (length(description) <= 500),
      position integer not null default 0 check (position between 0 and 9999),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table docs_articles (
      id uuid primary key default gen_random_uuid(),
      category_id uuid not null references docs_categories (id) on delete restrict,
      slug text not null check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 80),
      title text not null check (length(title) between 1 and 200),
      summary text not null default '' check (length(summary) <= 500),
      body text not null default '' check (length(body) <= 100000),
      position integer not null default 0 check (position between 0 and 9999),
      published boolean not null default false,
      created_by uuid references users (id) on delete set null,
      updated_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (category_id, slug)
    );
    create index docs_articles_published on docs_articles (category_id, position) where published;
    create table docs_files (
      id uuid primary key default gen_random_uuid(),
      article_id uuid not null references docs_articles (id) on delete restrict,
      file_id uuid not null unique references stored_files (id) on delete cascade,
      file_name text not null check (length(file_name) between 1 and 255),
      content_type text not null,
      size bigint not null check (size >= 0),
      created_at timestamptz not null default now()
    );
    create index docs_files_article on docs_files (article_id);
    create table site_pages (
      id uuid primary key default gen_random_uuid(),
      slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 80),
      title text not null check (length(title) between 1 and 200),
      description text not null default '' check (length(description) <= 300),
      body text not null default '' check (length(body) <= 100000),
      published boolean not null default false,
      updated_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
  `.execute(db);

  const pages = [
    {
      slug: 'about',
      title: 'About us',
      description: 'Who runs this cloud hosting service and how to reach us.',
      body: [
        '*This is starter text shipped with SkyPanel. It is a template: edit it in Admin → Content → Pages.*',
        '',
        '## Who we are',
        '',
        'We are a small hosting business offering cloud servers billed by the hour. You pay for what you run, from a prepaid balance, and you can create, resize and delete servers at any time.',
        '',
        '## What we offer',
        '',
        '- Cloud servers in the regions listed on our regions page, with prices on the pricing page.',
        '- Backups, firewalls, SSH keys and a browser console for every server.',
        '- Support by ticket from your account.',
        '',
        '## Contact',
        '',
        'Use the contact page, or open a support ticket once you have an account.',
      ].join('\n'),
    },
    {
      slug: 'terms',
      title: 'Terms of service',
      description: 'The terms that apply when you use our cloud hosting service.',
      body: [
        '*This is starter text shipped with SkyPanel, not legal advice. It is a template: have it reviewed and replace it with your own terms in Admin → Content → Pages.*',
        '',
        '## 1. The service',
        '',
        'We provide virtual servers and related services ("the service") to customers who create an account. Features, regions and prices are those shown on this site at the time of use.',
        '',
        '## 2. Your account',
        '',
        'You are responsible for keeping your credentials safe and for everything done with your account, its API keys and its servers. Tell us at once if you think your account has been used without your permission.',
        '',
        '## 3. Billing',
        '',
        'Servers are billed by the hour from your prepaid balance. When your balance runs out we may suspend and, after the notice periods shown in your account, delete your servers. Unused balance is handled as described on the pricing page.',
        '',
        '## 4. Acceptable use',
        '',
        'You must not use the service for anything unlawful, for sending spam, for attacking other systems, or in a way that harms the service or other customers. We may suspend servers that do.',
        '',
        '## 5. Your data',
        '',
        'You keep ownership of the data on your servers. Keep your own backups: backups we offer are a convenience, not a guarantee.',
        '',
        '## 6. Liability',
        '',
        'The service is provided as is. To the extent the law allows, our liability is limited to the amount you paid us in the month before the claim.',
        '',
        '## 7. Changes',
        '',
        'We may change these terms; we will announce material changes in advance.',
      ].join('\n'),
    },
    {
      slug: 'privacy',
      title: 'Privacy policy',
      description: 'What personal data we keep, why, and the choices you have.',
      body: [
        '*This is starter text shipped with SkyPanel, not legal advice. It is a template: have it reviewed and replace it with your own policy in Admin → Content → Pages.*',
        '',
        '## What we keep',
        '',
        '- Account details: your name, email address and password (stored only as a hash).',
        '- Billing records: top-ups, invoices and usage, as the law requires us to keep them.',
        '- Security records: sign-ins with their IP address and browser, to protect your account.',
        '- Support tickets and messages you send us.',
        '',
        '## Why',
        '',
        'To run the service you signed up for, bill it, keep it secure and answer you. We do not sell your data.',
        '',
        '## Who else sees it',
        '',
        'Payment providers process your payments; the infrastructure providers we run servers with host your servers. Each receives only what it needs.',
        '',
        '## Cookies',
        '',
        'We use cookies needed to keep you signed in and to protect forms. No advertising cookies.',
        '',
        '## Your choices',
        '',
        'You can see and change your details in your account settings, and ask us to export or delete your data by contacting us.',
      ].join('\n'),
    },
  ];
  for (const p of pages)
    await sql`
      insert into site_pages (slug, title, description, body, published)
      values (${p.slug}, ${p.title}, ${p.description}, ${p.body}, true)
    `.execute(db);

  const general = await sql<{ id: string }>`
    insert into faq_categories (name, position) values ('General', 0), ('Billing', 1) returning id, name
  `.execute(db);
  const [gen, bill] = general.rows.map((r) => r.id);
  const faq: [string | undefined, string, string][] = [
    [
      gen,
      'What is this page?',
      'These questions and answers are starter text shipped with SkyPanel. Staff edit, publish and remove them in Admin → Content → FAQ.',
    ],
    [
      gen,
      'How do I create a server?',
      'Create an account, add funds to your balance, then choose **Servers → Create** in your account: pick a plan, a region and an image.',
    ],
    [
      bill,
      'How am I billed?',
      'Servers are billed by the hour from your prepaid balance, from the moment a server is created until it is deleted. The pricing page shows hourly and monthly prices.',
    ],
    [
      bill,
      'What happens when my balance runs out?',
      'You get a warning by email when your balance runs low. If it reaches zero, your servers may be suspended and later deleted after the notice periods shown in your account, so top up in time.',
    ],
  ];
  for (const [i, [category, question, answer]] of faq.entries())
    await sql`
      insert into faq_items (category_id, question, answer, position, published)
      values (${category}, ${question}, ${answer}, ${i}, true)
    `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table site_pages;
    drop table docs_files;
    drop table docs_articles;
    drop table docs_categories;
    drop table faq_items;
    drop table faq_categories;
  `.execute(db);
}
