import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Logical asset names (`app.css`, `htmx.js`, …) to their versioned URLs, written by `npm run build`. */
export type Manifest = Record<string, string>;

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MANIFEST = path.join(ROOT_DIR, 'static/build/manifest.json');

export function loadManifest(): Manifest | null {
  return existsSync(MANIFEST) ? (JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest) : null;
}
