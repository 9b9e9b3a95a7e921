import pino, { type Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they appear. */
const REDACT = [
  'password',
  'new_password',
  'current_password',
  'token',
  'otp',
  'code',
  'secret',
  'authorization',
  'cookie',
  'set-cookie',
  'api_key',
  'key',
  'totp_secret',
  'session',
  'csrf',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const paths = REDACT.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]);
  return pino({ level, base: undefined, redact: { paths, censor: '[redacted]' } }, destination);
}
export type { Logger };
