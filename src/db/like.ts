/**
 * A LIKE/ILIKE pattern matching `text` anywhere, with `%`, `_` and `\` typed into a search box
 * matched literally (PostgreSQL's default escape character is `\`).
 *
 * @example q.where('o.name', 'ilike', likePattern(search))
 */
export function likePattern(text: string): string {
  return `%${text.replace(/[%_\\]/g, '\\$&')}%`;
}
