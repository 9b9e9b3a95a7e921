import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../paths.ts';

/** Logical asset names (`app.css`, `htmx.js`, …) to their versioned URLs, written by `npm run build`. */
export type Manifest = Record<string, string>;

export { ROOT_DIR };
const MANIFEST = path.join(ROOT_DIR, 'static/build/manifest.json');

export function loadManifest(): Manifest | null {
  return existsSync(MANIFEST) ? (JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest) : null;
}
