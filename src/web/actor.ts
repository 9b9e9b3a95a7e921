import type { Context } from 'hono';
import type { Actor } from '../domain/access/actor.ts';

/**
 * The actor of a request inside a signed-in area (`areas.ts`): the area's guard let only a
 * signed-in user through, and `actorLoader` set who they act as. Throws when called outside
 * one, which is a mounting mistake rather than something a visitor can cause.
 */
export function actorOf(c: Context): Actor {
  const actor = c.get('actor');
  if (!actor) throw new Error(`no actor for ${c.req.method} ${c.req.path}: is it mounted outside a signed-in area?`);
  return actor;
}
