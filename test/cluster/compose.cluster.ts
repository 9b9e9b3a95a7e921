import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ROOT_DIR } from '../../src/paths.ts';
import { nodeEnvironment } from './harness.ts';

/**
 * deploy/compose.yaml cannot be run here (no container engine), so it is kept honest by reading:
 * the replicas set only variables SkyPanel knows, the cluster tests run the nodes with the same
 * variables, and the compose file, the Caddyfile and the app agree on names, port and paths.
 */

const compose = readFileSync(`${ROOT_DIR}/deploy/compose.yaml`, 'utf8');
const caddyfile = readFileSync(`${ROOT_DIR}/deploy/Caddyfile`, 'utf8');
const documented = readFileSync(`${ROOT_DIR}/.env.example`, 'utf8');

/** The replicas' environment: the `environment:` map of the `x-skypanel` anchor, as name → value. */
function replicaEnvironment(): Map<string, string> {
  const lines = compose.split('\n');
  const anchor = lines.findIndex((l) => l.startsWith('x-skypanel:'));
  const start = lines.findIndex((l, i) => i > anchor && l === '  environment:');
  const env = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (/^\s*#/.test(line)) continue;
    const m = /^ {4}([A-Z][A-Z0-9_]*): (.*)$/.exec(line);
    if (!m) break;
    env.set(m[1]!, m[2]!.replace(/^'(.*)'$/, '$1'));
  }
  return env;
}

describe('deploy/compose.yaml', () => {
  const env = replicaEnvironment();
  const test = nodeEnvironment({
    databaseUrl: 'postgres://x@127.0.0.1/x',
    proxyUrl: 'http://127.0.0.1:1',
    paypal: { clientId: 'id', clientSecret: 'secret', url: 'http://127.0.0.1:2', webhookId: 'wh' } as never,
    admin: { email: 'a@example.test', password: 'long enough password' },
  });

  it('sets only variables SkyPanel documents in .env.example', () => {
    expect(env.size).toBeGreaterThan(10);
    for (const name of env.keys()) expect(documented, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });

  it('is what the cluster tests run: the same variables (mail and the port aside), web + jobs on every replica', () => {
    const mailAndPort = ['SMTP_URL', 'RESEND_API_KEY', 'MAIL_FROM', 'PORT'];
    const testOnly = ['BCRYPT_COST']; // bcrypt's cost is lowered to keep the tests fast
    expect([...env.keys()].filter((n) => !mailAndPort.includes(n)).sort()).toEqual(
      Object.keys(test)
        .filter((n) => !testOnly.includes(n))
        .sort(),
    );
    for (const name of ['NODE_ENV', 'TRUSTED_PROXY_COUNT', 'WEB_ENABLED', 'JOBS_ENABLED', 'EMULATORS_ENABLED'])
      expect(env.get(name), name).toBe(test[name]);
  });

  it('gives a configuration SkyPanel accepts in production', () => {
    const values = Object.fromEntries(
      [...env].map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1').replace(/\$\{[A-Z_]+:\?[^}]*\}/g, 'x')]),
    );
    const config = loadConfig({
      ...values,
      PUBLIC_URL: 'https://panel.example.com',
      DATABASE_URL: 'postgres://skypanel:secret@postgres:5432/skypanel',
      ENCRYPTION_KEY: 'a'.repeat(64),
      SMTP_URL: 'smtp://mail.example.com:587',
    });
    expect(config.isProduction).toBe(true);
    expect(config.emulatorsEnabled).toBe(false);
    expect(config.PORT).toBe(3000);
  });

  it('has three replicas of one definition, health-checked on /ready at their port, behind Caddy', () => {
    const replicas = [...compose.matchAll(/^ {2}(skypanel-\d+):\n {4}<<: \*skypanel$/gm)].map((m) => m[1]);
    expect(replicas).toEqual(['skypanel-1', 'skypanel-2', 'skypanel-3']);
    expect(compose).toContain("fetch('http://127.0.0.1:3000/ready'");
    const upstreams = /^\s*to (.+)$/m.exec(caddyfile)![1]!.split(/\s+/);
    expect(upstreams).toEqual(replicas.map((r) => `${r}:3000`));
  });
});

describe('deploy/Caddyfile', () => {
  it('checks replicas on /health, streams /events and holds /console/socket open', () => {
    expect(caddyfile).toMatch(/health_uri \/health$/m);
    expect(caddyfile).toMatch(/@events path \/events\n\treverse_proxy @events \{[^}]*flush_interval -1/);
    expect(caddyfile).toMatch(/@console path \/console\/socket\n/);
    // Every reverse_proxy uses the one upstream list.
    expect(caddyfile.match(/reverse_proxy/g)).toHaveLength(3);
    expect(caddyfile.match(/import upstreams/g)).toHaveLength(3);
  });
});
