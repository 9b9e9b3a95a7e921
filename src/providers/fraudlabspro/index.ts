import type { Hono } from 'hono';
import type { Config } from '../../config.ts';
import { createFraudLabsProClient, type FraudLabsProClient } from './client.ts';
import { createFraudLabsProEmulatorApp } from './emulator/index.ts';

export { createFraudLabsProClient, FRAUDLABSPRO_BASE_URL, type FraudLabsProClientOptions } from './client.ts';
export * from './types.ts';

/** Where the demo emulator is mounted on our own app (src/services.ts lists it, src/app.ts mounts it). */
export const FRAUDLABSPRO_EMULATOR_PATH = '/_emulators/fraudlabspro';

/** A screening client with a name for the admin settings page, e.g. "FraudLabs Pro emulator (demo)". */
export interface FraudLabsProScreener {
  screenOrder: FraudLabsProClient['screenOrder'];
  readonly label: string;
}

/**
 * The real client when `FRAUDLABSPRO_API_KEY` is set; else, when `emulatorUrl` is given (demo:
 * emulators enabled and this process serves them), a client of the emulator; else none.
 *
 * @example fraudScreenerFromConfig(config, { emulatorUrl: `${config.loopbackOrigin}${FRAUDLABSPRO_EMULATOR_PATH}` })
 */
export function fraudScreenerFromConfig(
  config: Config,
  opts: { emulatorUrl?: string } = {},
): FraudLabsProScreener | undefined {
  if (config.FRAUDLABSPRO_API_KEY) {
    const client = createFraudLabsProClient({
      baseUrl: config.FRAUDLABSPRO_BASE_URL,
      apiKey: config.FRAUDLABSPRO_API_KEY,
    });
    return { screenOrder: client.screenOrder, label: `FraudLabs Pro (${new URL(config.FRAUDLABSPRO_BASE_URL).host})` };
  }
  if (opts.emulatorUrl) {
    const client = createFraudLabsProClient({ baseUrl: opts.emulatorUrl, apiKey: 'emulator' });
    return { screenOrder: client.screenOrder, label: 'FraudLabs Pro emulator (demo: no API key set)' };
  }
  return undefined;
}

/** The demo emulator's app, to be served under `FRAUDLABSPRO_EMULATOR_PATH`. Plenty of credit, so a demo never runs dry. */
export function fraudLabsProDemoEmulator(): Hono {
  return createFraudLabsProEmulatorApp({ credits: 1_000_000_000 }).app;
}
