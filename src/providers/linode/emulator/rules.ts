import { IMAGES, REGIONS, STACKSCRIPTS } from './catalogue.ts';
import type { EmulatedInstance } from './state.ts';
import { typeOf } from './views.ts';

/**
 * Input rules for creates, rebuilds and updates (spec §4, §8.2). Each check returns Linode
 * field errors; handlers collect them and answer all at once, as Linode does. Rules come from
 * the spec; the wording of every reason except the password and uniqueness ones is a guess.
 */

export type FieldError = { field?: string; reason: string };

export function checkLabel(
  label: unknown,
  others: Iterable<EmulatedInstance>,
  selfId?: number,
  field = 'label',
): FieldError[] {
  if (typeof label !== 'string') return [{ field, reason: 'Label must be a string' }];
  if (label.length < 3 || label.length > 64) return [{ field, reason: 'Length must be 3-64 characters' }];
  if (!/^[A-Za-z]/.test(label)) return [{ field, reason: 'Label must begin with a letter' }];
  if (!/^[A-Za-z0-9_.-]+$/.test(label))
    return [{ field, reason: 'Label may only contain letters, numbers, dashes, underscores and periods' }];
  if (/--|__|\.\./.test(label))
    return [{ field, reason: 'Label must not contain two dashes, underscores or periods in a row' }];
  for (const o of others)
    if (o.id !== selfId && o.label.toLowerCase() === label.toLowerCase())
      return [{ field, reason: 'Label must be unique among your Linodes' }];
  return [];
}

/**
 * 7–128 characters, and strong. Linode scores strength with zxcvbn; the emulator's stand-in
 * (a guess): three of lower case, upper case, digits and symbols with at least 10 characters,
 * or any passphrase of 16 characters or more with two of them.
 */
export function checkPassword(pw: unknown, field = 'root_pass'): FieldError[] {
  if (pw === undefined || pw === null || pw === '') return [{ field, reason: `${field} is required` }];
  if (typeof pw !== 'string') return [{ field, reason: `${field} must be a string` }];
  if (pw.length < 7 || pw.length > 128) return [{ field, reason: 'Length must be 7-128 characters' }];
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  const strong = (classes >= 3 && pw.length >= 10) || (classes >= 2 && pw.length >= 16);
  return strong ? [] : [{ field, reason: 'Password does not meet strength requirement.' }];
}

const SSH_KEY =
  /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]{20,}={0,3}( .*)?$/;

export function checkKeys(keys: unknown): FieldError[] {
  if (keys === undefined || keys === null) return [];
  if (!Array.isArray(keys)) return [{ field: 'authorized_keys', reason: 'Must be an array of public keys' }];
  return keys.some((k) => typeof k !== 'string' || !SSH_KEY.test(k.trim()))
    ? [{ field: 'authorized_keys', reason: 'Invalid SSH key' }]
    : [];
}

export function checkType(type: unknown): FieldError[] {
  if (type === undefined) return [{ field: 'type', reason: 'type is required' }];
  return typeof type === 'string' && typeOf(type)
    ? []
    : [{ field: 'type', reason: 'A valid plan type by that ID was not found' }];
}

export function checkRegion(region: unknown): FieldError[] {
  if (region === undefined) return [{ field: 'region', reason: 'region is required' }];
  return REGIONS.some((r) => r.id === region) ? [] : [{ field: 'region', reason: 'region is not valid' }];
}

export function checkImage(image: unknown, required: boolean): FieldError[] {
  if (image === undefined || image === null) return required ? [{ field: 'image', reason: 'image is required' }] : [];
  return IMAGES.some((i) => i.id === image) ? [] : [{ field: 'image', reason: 'Not a valid image' }];
}

export function checkTags(tags: unknown): FieldError[] {
  if (tags === undefined) return [];
  const ok = Array.isArray(tags) && tags.every((t) => typeof t === 'string' && t.length >= 1 && t.length <= 50);
  return ok ? [] : [{ field: 'tags', reason: 'Tags must be strings of 1-50 characters' }];
}

/** The StackScript exists, suits the image, and `stackscript_data` fills its fields with allowed values. */
export function checkStackScript(id: unknown, data: unknown, image: unknown): FieldError[] {
  if (id === undefined || id === null) return [];
  const script = STACKSCRIPTS.find((s) => s.id === id);
  if (!script) return [{ field: 'stackscript_id', reason: 'StackScript not found' }];
  if (typeof image === 'string' && !script.images.includes(image))
    return [{ field: 'image', reason: 'Image is not compatible with this StackScript' }];
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data)))
    return [{ field: 'stackscript_data', reason: 'Must be an object' }];
  const values = (data ?? {}) as Record<string, unknown>;
  if (JSON.stringify(values).length > 65_535)
    return [{ field: 'stackscript_data', reason: 'Must be 65535 characters or fewer when serialized' }];
  const errors: FieldError[] = [];
  for (const udf of script.user_defined_fields) {
    const v = values[udf.name];
    if (v === undefined || v === '') {
      if (udf.default === undefined) errors.push({ field: 'stackscript_data', reason: `${udf.name} is required` });
      continue;
    }
    if (typeof v !== 'string') errors.push({ field: 'stackscript_data', reason: `${udf.name} must be a string` });
    else if (udf.oneOf && !udf.oneOf.split(',').includes(v))
      errors.push({ field: 'stackscript_data', reason: `${udf.name} must be one of ${udf.oneOf}` });
    else if (udf.manyOf && !v.split(',').every((x) => udf.manyOf!.split(',').includes(x))) {
      errors.push({ field: 'stackscript_data', reason: `${udf.name} must be made of ${udf.manyOf}` });
    }
  }
  return errors;
}

export const BACKUP_DAYS = ['Scheduling', 'Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const BACKUP_WINDOWS = ['Scheduling', ...Array.from({ length: 12 }, (_, i) => `W${i * 2}`)];
