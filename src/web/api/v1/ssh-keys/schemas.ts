import { z } from '@hono/zod-openapi';
import { MAX_KEY_LENGTH } from '../../../../domain/ssh-keys/parse.ts';
import type { SshKey as SshKeyRow } from '../../../../domain/ssh-keys/keys.ts';
import { pathParam, Timestamp } from '../schemas.ts';

export const SshKey = z
  .object({
    id: z.uuid().openapi({ description: 'Pass in `ssh_key_ids` when creating or rebuilding a server.' }),
    name: z.string(),
    fingerprint: z.string().openapi({
      example: 'SHA256:dqXQ8ee9Y9O9xearw1epMJqfnOEVsFxpVM6zLFX2R8Y',
      description: 'As `ssh-keygen -l` prints it.',
    }),
    type: z.string().openapi({ example: 'ssh-ed25519' }),
    public_key: z.string().openapi({ description: 'The key line as stored: type, base64 data and comment.' }),
    created_at: Timestamp,
  })
  .openapi('SshKey');

export const CreateSshKeyRequest = z
  .object({
    name: z
      .string({ error: 'Enter a name.' })
      .max(100, 'Use at most 100 characters.')
      .optional()
      .openapi({ description: 'Optional: the key’s comment when absent.', example: 'Olive’s laptop' }),
    public_key: z
      .string({ error: 'Paste a public key.' })
      .max(MAX_KEY_LENGTH, 'This is too long for a public key.')
      .openapi({
        description:
          'One OpenSSH public key line: ssh-ed25519, ecdsa-sha2-nistp256/384/521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com, or ssh-rsa of at least 2048 bits.',
        example: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJgzOJQE+LDKO08aEFSQdHS7RANz9WqSN4l2QtPoqw6z olive@laptop',
      }),
  })
  .openapi('CreateSshKeyRequest');

export const SshKeyParams = z.object({ id: pathParam('id', 'SSH key id.') });

export function presentSshKey(k: SshKeyRow): z.infer<typeof SshKey> {
  return SshKey.parse({
    id: k.id,
    name: k.name,
    fingerprint: k.fingerprint,
    type: k.type,
    public_key: k.publicKey,
    created_at: k.createdAt.toISOString(),
  });
}
