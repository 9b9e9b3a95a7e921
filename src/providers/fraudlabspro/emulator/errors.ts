import type { Context } from 'hono';
import { V1_EMPTY, xml } from './formats.ts';
import type { FraudLabsProFailure } from './types.ts';

/** FraudLabs Pro's error codes and messages (spec §5), and how each endpoint answers them. */

export interface FlpError {
  code: number;
  message: string;
}

export const ERRORS = {
  invalidKey: { code: 10001, message: 'INVALID API KEY' },
  invalidIp: { code: 10002, message: 'INVALID IP ADDRESS' },
  invalidBillCountry: { code: 10003, message: 'INVALID BILLING COUNTRY CODE' },
  invalidShipCountry: { code: 10004, message: 'INVALID SHIPPING COUNTRY CODE' },
  expiredKey: { code: 10006, message: 'API KEY EXPIRED' },
  noCredit: { code: 10007, message: 'INSUFFICIENT CREDIT' },
  tooLarge: { code: 10009, message: 'QUANTITY OR AMOUNT VALUE TOO LARGE' },
  orderIdTooLong: { code: 10010, message: 'ORDER ID EXCEED LIMIT OF 15 CHARACTERS' },
  notFound: { code: 10011, message: 'TRANSACTION NOT FOUND' },
  alreadyApproved: { code: 10012, message: 'TRANSACTION ALREADY APPROVED' },
  alreadyRejected: { code: 10013, message: 'TRANSACTION ALREADY REJECTED' },
  invalidAction: { code: 10015, message: 'INVALID ACTION' },
  invalidEmailHash: { code: 204, message: 'INVALID EMAIL HASH' },
} satisfies Record<string, FlpError>;

export const INJECTED_ERRORS: Partial<Record<FraudLabsProFailure, FlpError>> = {
  invalid_key: ERRORS.invalidKey,
  expired_key: ERRORS.expiredKey,
  insufficient_credit: ERRORS.noCredit,
  invalid_ip: ERRORS.invalidIp,
};

/** v2 answers HTTP 400 with an error object; v1 answers HTTP 200 with the error in its flat body. */
export function errorReply(c: Context, version: 'v1' | 'v2', format: 'json' | 'xml', error: FlpError): Response {
  if (version === 'v2') {
    const payload = { error: { error_code: error.code, error_message: error.message } };
    return format === 'xml' ? xml(c, payload, 400) : c.json(payload, 400);
  }
  // v1: HTTP 200, the usual flat body with empty results and the error in fraudlabspro_error_code.
  const payload = { ...V1_EMPTY, fraudlabspro_error_code: String(error.code), fraudlabspro_message: error.message };
  return format === 'xml' ? xml(c, payload, 200) : c.json(payload, 200);
}
