import type { Actor } from '../../src/domain/access/actor.ts';

/** A platform admin acting in their own session (no organization), as the admin screens' actor is built. */
export function staffActor(userId: string): Actor {
  return {
    userId,
    isPlatformAdmin: true,
    organizationId: null,
    roleName: null,
    permissions: new Set<never>(),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.1', userAgent: null },
  };
}
