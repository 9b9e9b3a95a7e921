import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for S3 requests signed in the Authorization header
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html). The client
 * signs with it and the emulator checks with it, so both follow the one spelling of the rules:
 * the canonical request (method, URI with each path segment encoded once, sorted query, the
 * signed headers lower-cased and trimmed, the payload's SHA-256), the string to sign over the
 * credential scope `<yyyymmdd>/<region>/s3/aws4_request`, and the HMAC chain from the secret.
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export const sha256Hex = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Uint8Array | string, data: string) => createHmac('sha256', key).update(data).digest();

/** `20261206T212654Z`: the x-amz-date form of a time. */
export function amzDate(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** RFC 3986 encoding as SigV4 wants it (`-_.~` kept, everything else %XX upper-case). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A URL's path as SigV4 signs it for S3: every segment decoded, then encoded once. */
export function canonicalUri(pathname: string): string {
  return pathname
    .split('/')
    .map((seg) => uriEncode(decodeURIComponent(seg)))
    .join('/');
}

function canonicalQuery(search: URLSearchParams): string {
  return [...search]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export interface SignableRequest {
  method: string;
  url: URL;
  /** The headers to sign, by lower-case name (host included). */
  headers: Record<string, string>;
  payloadHash: string;
}

export function canonicalRequest(req: SignableRequest): { text: string; signedHeaders: string } {
  const names = Object.keys(req.headers)
    .map((n) => n.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const headerLines = names.map((n) => `${n}:${lower[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const text = [
    req.method.toUpperCase(),
    canonicalUri(req.url.pathname),
    canonicalQuery(req.url.searchParams),
    headerLines,
    signedHeaders,
    req.payloadHash,
  ].join('\n');
  return { text, signedHeaders };
}

/** The signature of `req` made at `date` (`yyyymmddThhmmssZ`) with `creds`. */
export function signature(req: SignableRequest, date: string, creds: S3Credentials): string {
  const day = date.slice(0, 8);
  const scope = `${day}/${creds.region}/s3/aws4_request`;
  const stringToSign = [ALGORITHM, date, scope, sha256Hex(canonicalRequest(req).text)].join('\n');
  let key = hmac(`AWS4${creds.secretAccessKey}`, day);
  key = hmac(key, creds.region);
  key = hmac(key, 's3');
  key = hmac(key, 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

/** The Authorization header value for `req` (whose headers include x-amz-date and x-amz-content-sha256). */
export function authorization(req: SignableRequest, date: string, creds: S3Credentials): string {
  const { signedHeaders } = canonicalRequest(req);
  const scope = `${date.slice(0, 8)}/${creds.region}/s3/aws4_request`;
  return `${ALGORITHM} Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature(req, date, creds)}`;
}

export interface ParsedAuthorization {
  accessKeyId: string;
  day: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** The parts of an `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header, or null. */
export function parseAuthorization(header: string): ParsedAuthorization | null {
  const m =
    /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request\s*,\s*SignedHeaders=([a-z0-9;-]+)\s*,\s*Signature=([0-9a-f]{64})$/.exec(
      header.trim(),
    );
  if (!m) return null;
  return {
    accessKeyId: m[1]!,
    day: m[2]!,
    region: m[3]!,
    service: m[4]!,
    signedHeaders: m[5]!.split(';'),
    signature: m[6]!,
  };
}
