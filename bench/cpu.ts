import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time, which stays meaningful when the machine is busy with other work (req/s does not):
 * this process's main thread (the app; autocannon runs in a worker) and the bench's PostgreSQL
 * (the postmaster whose command line names `dataDir`, and its children). Linux only (/proc);
 * elsewhere `read()` answers null and the report leaves the columns empty.
 */
export function cpuMeter(dataDir: string) {
  const tick = 10; // ms per clock tick (USER_HZ is 100 on Linux)
  const ticksOf = (stat: string) => {
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]) };
  };
  let postmaster: number | null = null;
  const findPostmaster = () => {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmd.includes('postgres') && cmd.includes(dataDir)) return Number(pid);
      } catch {
        // gone
      }
    }
    return null;
  };
  return {
    /** Milliseconds of CPU so far: the app's main thread, and PostgreSQL (its live processes). */
    read(): { app: number; db: number } | null {
      if (process.platform !== 'linux') return null;
      try {
        const app = ticksOf(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')).cpu * tick;
        postmaster ??= findPostmaster();
        let db = 0;
        if (postmaster) {
          for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
            try {
              const s = ticksOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
              if (Number(pid) === postmaster || s.ppid === postmaster) db += s.cpu;
            } catch {
              // gone
            }
          }
        }
        return { app, db: db * tick };
      } catch {
        return null;
      }
    },
  };
}
