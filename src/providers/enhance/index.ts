export { createEnhanceClient, enhanceApiBase, enhanceToken, ENHANCE_PAGE_SIZE, ENHANCE_TIMEOUT_MS } from './client.ts';
export * from './types.ts';

/** Where the demo emulator is mounted on our own app (src/services.ts lists it, src/app.ts mounts it). */
export const ENHANCE_EMULATOR_PATH = '/_emulators/enhance';

/** The demo emulator's master-org token and id (not secrets: the emulator only runs in demo mode). */
export const ENHANCE_EMULATOR_TOKEN = 'enhance-emulator-master-token';
export const ENHANCE_EMULATOR_MASTER_ORG_ID = '00000000-0000-4000-8000-00000000e4a0';
