import type { Hono } from 'hono';
import type { Config } from '../../config.ts';
import { createFraudLabsProClient, type FraudLabsProClient } from '../../providers/fraudlabspro/client.ts';
import { createFraudLabsProEmulatorApp } from '../../providers/fraudlabspro/emulator/index.ts';

/**
 * Which fraud-screening provider this process talks to. `deps.fraud` is undefined when there
 * is none: then screening is off by default, and if staff turn it on anyway every check is
 * "provider unreachable" (their fail-open/fail-closed choice applies).
 */
export type FraudScreener = Pick<FraudLabsProClient, 'screenOrder'> & {
  /** For the admin settings page, e.g. "FraudLabs Pro emulator (demo)". */
  readonly label?: string;
};

/** Where the demo emulator is mounted on our own app (src/app.ts). */
export const FRAUDLABSPRO_EMULATOR_PATH = '/_emulators/fraudlabspro';

/**
 * The real client when `FRAUDLABSPRO_API_KEY` is set; else, when `emulatorUrl` is given (demo:
 * emulators enabled and this process serves them), a client of the emulator; else none.
 */
export function createFraudScreener(config: Config, opts: { emulatorUrl?: string } = {}): FraudScreener | undefined {
  if (config.FRAUDLABSPRO_API_KEY) {
    const client = createFraudLabsProClient({ baseUrl: config.FRAUDLABSPRO_BASE_URL, apiKey: config.FRAUDLABSPRO_API_KEY });
    return { screenOrder: client.screenOrder, label: `FraudLabs Pro (${new URL(config.FRAUDLABSPRO_BASE_URL).host})` };
  }
  if (opts.emulatorUrl) {
    const client = createFraudLabsProClient({ baseUrl: opts.emulatorUrl, apiKey: 'emulator' });
    return { screenOrder: client.screenOrder, label: 'FraudLabs Pro emulator (demo: no API key set)' };
  }
  return undefined;
}

/**
 * This process's own address for the mounted emulator: screening calls it over HTTP like the
 * real API, through loopback rather than PUBLIC_URL (which may be a proxy we cannot reach).
 */
export function localEmulatorUrl(config: Config): string {
  const wildcard = config.HOST === '0.0.0.0' || config.HOST === '::';
  const host = wildcard ? '127.0.0.1' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}${FRAUDLABSPRO_EMULATOR_PATH}`;
}

/**
 * Mounts the FraudLabs Pro emulator under `/_emulators/fraudlabspro` (demo mode only: the
 * caller checks `config.emulatorsEnabled`). Plenty of credit, so a demo never runs dry.
 *
 * @example if (config.emulatorsEnabled) mountFraudLabsProEmulator(app)
 */
export function mountFraudLabsProEmulator(app: Hono): void {
  app.route(FRAUDLABSPRO_EMULATOR_PATH, createFraudLabsProEmulatorApp({ credits: 1_000_000_000 }).app);
}
