import { type Kysely, sql } from 'kysely';

// Frozen history: image ids became neutral above the provider adapter (`debian12`, not
// `linode/debian12`; src/providers/linode/mapping.ts imageIdOut/imageIdIn). Ids stored before
// lose the provider's prefix: allowed images, servers, and the cached catalogue (images, and
// the image lists of cached scripts). Ids with more than one slash, and `private/…` ones,
// stay as they are (the adapter leaves them alone too).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    delete from server_images old
     where old.image_id ~ '^linode/[^/]+$'
       and exists (select 1 from server_images bare
                    where bare.provider_id = old.provider_id and bare.image_id = substr(old.image_id, 8));
    update server_images set image_id = substr(image_id, 8) where image_id ~ '^linode/[^/]+$';

    update servers set image = substr(image, 8) where image ~ '^linode/[^/]+$';

    delete from cloud_catalogue old
     where old.kind = 'image' and old.external_id ~ '^linode/[^/]+$'
       and exists (select 1 from cloud_catalogue bare
                    where bare.provider_id = old.provider_id and bare.kind = 'image'
                      and bare.external_id = substr(old.external_id, 8));
    update cloud_catalogue
       set external_id = substr(external_id, 8),
           data = jsonb_set(data, '{id}', to_jsonb(substr(external_id, 8)))
     where kind = 'image' and external_id ~ '^linode/[^/]+$';
    update cloud_catalogue
       set data = jsonb_set(data, '{images}', (
             select coalesce(jsonb_agg(case when v ~ '^linode/[^/]+$' then substr(v, 8) else v end order by n), '[]'::jsonb)
               from jsonb_array_elements_text(data -> 'images') with ordinality as e(v, n)))
     where kind = 'script' and jsonb_typeof(data -> 'images') = 'array';
  `.execute(db);
}

export async function down(): Promise<void> {
  // The prefix is the provider's wire format; nothing to put back.
}
