/** The clock is injectable so tests can fix "now". */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export function addMinutes(d: Date, minutes: number): Date {
  return new Date(d.getTime() + minutes * 60_000);
}
export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000);
}

/** Waits `ms` (real time); resolves false at once when any of `signals` aborts (a client hung up, an emulator closing). */
export function waitUnlessAborted(ms: number, signals: AbortSignal[]): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', abort);
      resolve(ok && !signals.some((s) => s.aborted));
    };
    const abort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    for (const s of signals) s.addEventListener('abort', abort, { once: true });
    if (signals.some((s) => s.aborted)) done(false);
  });
}
