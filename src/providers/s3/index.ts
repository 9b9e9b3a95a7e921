import type { Config } from '../../config.ts';
import { createS3Client, type S3Client } from './client.ts';

export { createS3Client, S3Error, type S3Client, type S3ClientOptions, type S3Object } from './client.ts';

const clients = new WeakMap<Config, S3Client | null>();

/**
 * The bucket's client when S3_ENDPOINT and S3_BUCKET are set (config.ts checks the other S3_*
 * settings come with them), else null: files stay in PostgreSQL. One client per configuration.
 */
export function s3FromConfig(config: Config): S3Client | null {
  if (clients.has(config)) return clients.get(config)!;
  const client =
    config.S3_ENDPOINT && config.S3_BUCKET
      ? createS3Client({
          endpoint: config.S3_ENDPOINT,
          bucket: config.S3_BUCKET,
          region: config.S3_REGION,
          accessKeyId: config.S3_ACCESS_KEY_ID ?? '',
          secretAccessKey: config.S3_SECRET_ACCESS_KEY ?? '',
        })
      : null;
  clients.set(config, client);
  return client;
}
