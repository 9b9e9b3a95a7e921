import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where SkyPanel's files are, whether this module runs from the TypeScript sources
 * (`src/paths.ts`, through tsx or vitest) or from the build (`dist/src/paths.js`,
 * `npm run build`, which mirrors src/, jobs/, migrations/ and scripts/ under dist/).
 *
 *   ROOT_DIR        the project (package.json, views/, static/): never dist/
 *   COMPILED        true when running the build's JavaScript
 *   CODE_DIR        the root of the running code: ROOT_DIR, or ROOT_DIR/dist when compiled
 *   MIGRATIONS_DIR  the migrations the running code loads (.ts from sources, .js when compiled)
 */
const here = fileURLToPath(import.meta.url);

export const COMPILED = here.endsWith('.js');
export const CODE_DIR = path.resolve(path.dirname(here), '..');
export const ROOT_DIR = COMPILED ? path.dirname(CODE_DIR) : CODE_DIR;
export const DIST_DIR = path.join(ROOT_DIR, 'dist');

export const VIEWS_DIR = path.join(ROOT_DIR, 'views');
export const STATIC_DIR = path.join(ROOT_DIR, 'static');
export const MIGRATIONS_DIR = path.join(CODE_DIR, 'migrations');
/** The file extension of the running code's modules. */
export const CODE_EXT = COMPILED ? '.js' : '.ts';
