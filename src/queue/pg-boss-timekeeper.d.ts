/** pg-boss's internal timekeeper (CommonJS, no types of its own): src/queue/cron.ts replaces its schedule check. */
declare module 'pg-boss/src/timekeeper.js' {
  const Timekeeper: unknown;
  export default Timekeeper;
}
