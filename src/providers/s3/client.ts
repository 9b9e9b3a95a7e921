import { authorization, amzDate, sha256Hex, uriEncode, type S3Credentials } from './sigv4.ts';

/**
 * A small S3 client: PUT, GET and DELETE of one object in one bucket of any S3-compatible
 * service (AWS S3, MinIO, Cloudflare R2, Backblaze B2, Wasabi…), addressed path-style
 * (`<endpoint>/<bucket>/<key>`) and signed with AWS Signature V4 over the payload's SHA-256.
 * No SDK: node:crypto signs (sigv4.ts), fetch sends.
 */

export interface S3ClientOptions extends S3Credentials {
  /** The service's origin, e.g. https://s3.eu-central-1.amazonaws.com or http://127.0.0.1:9000. */
  endpoint: string;
  bucket: string;
  /** Default 30 s per request. */
  timeoutMs?: number;
  /** The signing clock (tests). */
  now?: () => Date;
}

/** An S3 refusal (its XML `Code`, e.g. NoSuchKey, SignatureDoesNotMatch) or a failure to reach it (`network`). */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface S3Object {
  bytes: Buffer;
  contentType: string | null;
}

export interface S3Client {
  readonly bucket: string;
  putObject(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The object; S3Error `NoSuchKey` (404) when there is none. */
  getObject(key: string): Promise<S3Object>;
  /** Deletes the object (S3 answers 204 whether or not it existed). */
  deleteObject(key: string): Promise<void>;
}

export function createS3Client(opts: S3ClientOptions): S3Client {
  const base = opts.endpoint.replace(/\/+$/, '');
  const now = opts.now ?? (() => new Date());
  const urlOf = (key: string) =>
    new URL(`${base}/${uriEncode(opts.bucket)}/${key.split('/').map(uriEncode).join('/')}`);

  async function send(method: string, key: string, body?: Uint8Array, contentType?: string): Promise<Response> {
    const url = urlOf(key);
    const date = amzDate(now());
    const payloadHash = sha256Hex(body ?? '');
    const signed: Record<string, string> = {
      host: url.host,
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': date,
      ...(contentType ? { 'content-type': contentType } : {}),
    };
    const headers = {
      ...signed,
      authorization: authorization({ method, url, headers: signed, payloadHash }, date, opts),
    };
    delete (headers as Record<string, string>).host; // fetch sets Host from the URL, as signed
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body ? new Uint8Array(body) : undefined,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new S3Error('network', 0, `S3 ${method} ${url.host}: ${(err as Error).message}`);
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `http_${res.status}`;
    const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? res.statusText;
    throw new S3Error(code, res.status, `S3 ${method} ${url.pathname}: ${code}: ${message}`);
  }

  return {
    bucket: opts.bucket,
    async putObject(key, bytes, contentType) {
      await (await send('PUT', key, bytes, contentType)).arrayBuffer();
    },
    async getObject(key) {
      const res = await send('GET', key);
      return { bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') };
    },
    async deleteObject(key) {
      await (await send('DELETE', key)).arrayBuffer();
    },
  };
}
