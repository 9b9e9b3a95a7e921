/**
 * A billing worker in a process of its own, for the chaos test (test/metering/chaos.test.ts):
 * bills one hour against the test database in small batches, to be killed with SIGKILL mid-run.
 *   node --import tsx test/metering/chaos-child.ts <database url> <hour ISO> <batch servers>
 */
import { loadConfig } from '../../src/config.ts';
import { createDb } from '../../src/db/index.ts';
import { runHourlyBilling } from '../../src/domain/metering/hourly.ts';
import { createLogger } from '../../src/lib/log.ts';

const [url, hourIso, batch] = process.argv.slice(2);
const db = createDb(url!, 2);
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url! });
await runHourlyBilling(
  { db, config, log: createLogger('silent') },
  { hour: new Date(hourIso!), trigger: 'schedule', batchServers: Number(batch) },
);
await db.destroy();
