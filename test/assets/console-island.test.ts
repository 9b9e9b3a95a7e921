import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../scripts/build-assets.ts';
import { ROOT_DIR } from '../../src/web/assets.ts';
import {
  authMessage,
  CLOSE_SENTENCES,
  closeSentence,
  parseControl,
  readTicket,
  resizeMessage,
  socketUrl,
  ticketRefusal,
} from '../../static/islands/console/protocol.ts';

/** The console island's wire rules (static/islands/console/protocol.ts) and its bundle (scripts/build-assets.ts). */

describe('the console protocol, browser side', () => {
  it('says a sentence for every close code of the contract', () => {
    for (const code of [1000, 4000, 4001, 4003, 4004, 4008, 4009, 4010, 4011])
      expect(CLOSE_SENTENCES[code], String(code)).toMatch(/^[A-Z].{20,}\.$/);
    expect(closeSentence(4008, '', null)).toBe(CLOSE_SENTENCES[4008]);
    expect(closeSentence(4999, '', null)).toContain('code 4999');
  });

  it('prefers what the server said: its error message, then its close reason', () => {
    expect(closeSentence(4003, 'The server was suspended.', null)).toBe('The server was suspended.');
    expect(closeSentence(4003, 'Access ended.', 'Your role changed.')).toBe('Your role changed.');
    expect(closeSentence(4003, '  ', ' ')).toBe(CLOSE_SENTENCES[4003]);
  });

  it('reads status and error messages and ignores anything else', () => {
    expect(parseControl('{"type":"status","state":"connected","message":"Connected."}')).toEqual({
      type: 'status',
      state: 'connected',
      message: 'Connected.',
    });
    expect(parseControl('{"type":"error","code":"idle","message":"Idle."}')).toEqual({
      type: 'error',
      code: 'idle',
      message: 'Idle.',
    });
    expect(parseControl('{"type":"status","state":"dancing"}')).toBeNull();
    expect(parseControl('not json')).toBeNull();
    expect(parseControl('null')).toBeNull();
  });

  it('writes the auth and resize messages of the contract', () => {
    expect(JSON.parse(authMessage('t1', 120, 40))).toEqual({ type: 'auth', ticket: 't1', cols: 120, rows: 40 });
    expect(JSON.parse(resizeMessage(100, 30))).toEqual({ type: 'resize', cols: 100, rows: 30 });
  });

  it('opens the socket on the page’s own origin, wss under https', () => {
    expect(socketUrl({ protocol: 'https:', host: 'panel.example.com' }, '/console/socket')).toBe(
      'wss://panel.example.com/console/socket',
    );
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:3000' }, '/console/socket')).toBe(
      'ws://127.0.0.1:3000/console/socket',
    );
    expect(() => socketUrl({ protocol: 'https:', host: 'a' }, 'wss://elsewhere.example/x')).toThrow();
    expect(() => socketUrl({ protocol: 'https:', host: 'a' }, '//elsewhere.example/x')).toThrow();
  });

  it('explains a refused ticket with the API’s sentence, or one by status', () => {
    expect(ticketRefusal(409, { error: { code: 'conflict', message: 'This server is suspended.' } })).toBe(
      'This server is suspended.',
    );
    expect(ticketRefusal(403, null)).toMatch(/may not open/);
    expect(ticketRefusal(401, '<html>')).toMatch(/Sign in again/);
    expect(ticketRefusal(502, null)).toMatch(/could not be started/);
    expect(readTicket({ ticket: 'x', url: '/console/socket', expiresAt: 'soon', mode: 'ssh' })?.mode).toBe('ssh');
    expect(readTicket({ error: {} })).toBeNull();
  });
});

describe('the console bundle', () => {
  const file = async () => {
    const manifest = await readManifest();
    const url = manifest?.['js/console.js'];
    expect(url).toMatch(/^\/static\/build\/js\/console\.[0-9a-f]{8}\.js$/);
    return path.join(ROOT_DIR, url!);
  };

  it('is one file with xterm, its fit addon and its CSS, at most 150 KB gzipped', async () => {
    const f = await file();
    const body = readFileSync(f, 'utf8');
    expect(body).toContain('.xterm-helper-textarea');
    expect(body).toContain('proposeDimensions');
    const gz = readFileSync(`${f}.gz`);
    expect(gunzipSync(gz).toString('utf8')).toBe(body);
    expect(gz.length).toBeLessThanOrEqual(150 * 1024);
  });

  it('runs under the CSP: style elements get the nonce, no style attributes are written, no eval', async () => {
    const body = readFileSync(await file(), 'utf8');
    expect(body).not.toContain('setAttribute("style"');
    expect(body).toContain('querySelector("script[nonce]")');
    expect(body).not.toMatch(/\beval\(|new Function\(/);
  });
});
