/**
 * A UUID in its text form, any version, either letter case: PostgreSQL's uuid type and Nest's ParseUUIDPipe accept
 * both cases, so an id that passed validation at the edge is not refused deeper in.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
