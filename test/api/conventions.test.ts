import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { apiClient } from './client.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const call = () => apiClient(ctx, '198.51.100.30');
const ENVELOPE = { $ref: '#/components/schemas/ErrorEnvelope' };

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and describes every endpoint, its bearer security and its error envelopes', async () => {
    const res = await call()('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;

    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'http://localhost:3000/api/v1' }]);
    // Every endpoint the app serves under /api/v1 is documented, and nothing else is.
    const documented = Object.entries(doc.paths as Record<string, object>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    const served = [
      ...new Set(
        ctx.app.routes
          .filter((r) => r.path.startsWith('/api/v1/') && r.method !== 'ALL' && r.path !== '/api/v1/openapi.json')
          .map((r) => `${r.method} ${r.path.slice('/api/v1'.length)}`),
      ),
    ].sort();
    expect(documented).toEqual(served);
    expect(documented).toEqual(
      expect.arrayContaining(['POST /auth/register', 'POST /auth/tokens', 'DELETE /auth/tokens/current', 'GET /me']),
    );
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/me'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/auth/tokens/current'].delete.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/auth/register'].post.security).toBeUndefined();

    const register = doc.paths['/auth/register'].post;
    expect(register.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RegisterRequest',
    });
    expect(doc.components.schemas.RegisterRequest.required).toEqual(['name', 'email', 'password']);
    expect(doc.components.schemas.RegisterRequest.properties.email.format).toBe('email');
    expect(Object.keys(register.responses).sort()).toEqual(['201', '400', '403', '413', '415', '422', '429', '503']);
    expect(register.responses['422'].content['application/json'].schema).toEqual(ENVELOPE);
    expect(register.responses['429'].headers['Retry-After']).toBeDefined();
    expect(doc.paths['/me'].get.responses['401'].content['application/json'].schema).toEqual(ENVELOPE);
    expect(doc.components.schemas.TokenRequest.properties.otp.type).toBe('string');
    expect(doc.components.schemas.TokenRequest.required).toEqual(['email', 'password']);
    expect(doc.components.schemas.Organization.properties.balance).toMatchObject({
      type: ['string', 'null'],
      pattern: expect.any(String),
    });
    expect(doc.components.schemas.User.properties.created_at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(doc.components.schemas.ErrorEnvelope.properties.error.required).toEqual(['code', 'message']);
  });
});

describe('errors', () => {
  it('answers a body that is not JSON with a 400 envelope, not a 500', async () => {
    const res = await call()('POST', '/auth/register', { body: '{"name": "Ada",' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_json', message: 'The request body is not valid JSON.' } });
  });

  it('answers a JSON body that is not an object with a 422 envelope', async () => {
    const res = await call()('POST', '/auth/tokens', { body: '[1, 2]' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.fields).toBeDefined();
  });

  it('answers a form-encoded body with a 415 envelope', async () => {
    const res = await call()('POST', '/auth/tokens', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40b.test&password=x',
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('answers a body over 1 MiB with a 413 envelope', async () => {
    const res = await call()('POST', '/auth/register', { body: { name: 'x'.repeat(1024 * 1024 + 1) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('answers an unknown endpoint or method with a 404 envelope', async () => {
    for (const [method, path] of [
      ['GET', '/nothing-here'],
      ['GET', '/auth/tokens'],
    ] as const) {
      const res = await call()(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('marks API responses as not cacheable', async () => {
    const res = await call()('GET', '/me');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
