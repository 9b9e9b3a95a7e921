export { createEnhanceClient, enhanceApiBase, enhanceToken, ENHANCE_PAGE_SIZE, ENHANCE_TIMEOUT_MS } from './client.ts';
export * from './types.ts';

/** Where the demo emulator is mounted on our own app (src/services.ts lists it, src/app.ts mounts it). */
export const ENHANCE_EMULATOR_PATH = '/_emulators/enhance';
