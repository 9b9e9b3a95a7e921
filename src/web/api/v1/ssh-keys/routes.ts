import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { addSshKey, deleteSshKey, listSshKeys } from '../../../../domain/ssh-keys/keys.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { listOf, listPage, PageQuery } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { CreateSshKeyRequest, presentSshKey, SshKey, SshKeyParams } from './schemas.ts';

const REFUSED = {
  403: 'The caller lacks the permission in the acting organization (`ssh_keys_view` to read, `ssh_keys_manage` to change).',
  404: 'No such SSH key in the acting organization (or `X-Organization-Id` names one the caller is not in).',
};

/** The acting organization's SSH keys (the portal's /ssh-keys asks the same domain): list, add, delete. */
export function sshKeyRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const listRoute = createRoute({
    method: 'get',
    path: '/ssh-keys',
    tags: ['ssh-keys'],
    operationId: 'listSshKeys',
    summary: 'The organization’s SSH keys, newest first (needs `ssh_keys_view`)',
    ...secured,
    request: { query: PageQuery },
    responses: {
      200: { description: 'One page of keys.', ...json(listOf(SshKey).openapi('SshKeyList')) },
      ...errorResponses([401, 403, 404, 422, 429], REFUSED),
    },
  });
  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await listSshKeys(deps.db, caller(c), { limit, cursor });
    return c.json(
      listPage(rows, limit, presentSshKey, (k) => k.id),
      200,
    );
  });

  const addRoute = createRoute({
    method: 'post',
    path: '/ssh-keys',
    tags: ['ssh-keys'],
    operationId: 'addSshKey',
    summary: 'Add an SSH public key to the organization (needs `ssh_keys_manage`)',
    description: 'The key is offered at server create and rebuild; it is never uploaded to a provider profile.',
    ...secured,
    request: { body: { required: true, ...json(CreateSshKeyRequest) } },
    responses: {
      201: { description: 'The key, with its fingerprint.', ...json(SshKey) },
      ...errorResponses([400, 401, 403, 404, 409, 413, 415, 422, 429], {
        ...REFUSED,
        409: '`conflict`: the organization already has this key (same fingerprint); `fields.public_key` says which.',
        422: '`validation_failed`: `public_key` is not a valid OpenSSH public key we accept (the message says why), or `name` is missing and the key has no comment.',
      }),
    },
  });
  app.openapi(addRoute, async (c) => {
    const body = c.req.valid('json');
    const key = await addSshKey(deps, caller(c), { name: body.name, publicKey: body.public_key });
    return c.json(presentSshKey(key), 201);
  });

  const deleteRoute = createRoute({
    method: 'delete',
    path: '/ssh-keys/{id}',
    tags: ['ssh-keys'],
    operationId: 'deleteSshKey',
    summary: 'Delete an SSH key (needs `ssh_keys_manage`); servers that have it keep it',
    ...secured,
    request: { params: SshKeyParams },
    responses: {
      204: { description: 'Deleted.' },
      ...errorResponses([401, 403, 404, 429], REFUSED),
    },
  });
  app.openapi(deleteRoute, async (c) => {
    await deleteSshKey(deps, caller(c), c.req.valid('param').id);
    return c.body(null, 204);
  });

  return app;
}
