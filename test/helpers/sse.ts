import { expect } from 'vitest';

export interface Frame {
  event: string;
  data: string;
}

/** A cookie header carrying every cookie a TestBrowser holds (its session). */
export const cookieOf = (browser: { cookies: Map<string, string> }) =>
  [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

/**
 * An open `/events` stream over real HTTP at `base`, for the session in `cookie`: its frames
 * are collected as they arrive; `until` waits (5 s at most) for what a test expects.
 */
export async function openStream(base: string, cookie: string) {
  const res = await fetch(`${base}/events`, { headers: { cookie } });
  expect(res.status).toBe(200);
  const frames: Frame[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const done = (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      let i;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const raw = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const event = /^event: (.*)$/m.exec(raw)?.[1];
        if (event) frames.push({ event, data: /^data: (.*)$/m.exec(raw)?.[1] ?? '' });
      }
    }
  })();
  return {
    frames,
    async until(pred: (f: Frame[]) => boolean, ms = 5000) {
      const end = Date.now() + ms;
      while (!pred(frames)) {
        if (Date.now() > end) throw new Error(`not received in time: ${JSON.stringify(frames)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await reader.cancel().catch(() => undefined);
      await done;
    },
  };
}
