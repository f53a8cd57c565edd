/** Names in SQL come from code, never from users; still, refuse anything but a plain identifier. */
function plainIdentifier(kind: string, name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid ${kind} name "${name}"`);
  return `"${name}"`;
}

export const schemaIdentifier = (schema: string): string => plainIdentifier('schema', schema);

export const columnIdentifier = (column: string): string => plainIdentifier('column', column);

/** `schema.table` from code: two plain identifiers, quoted. */
export function qualifiedTable(name: string): string {
  const parts = name.split('.');
  if (parts.length !== 2) throw new Error(`invalid table name "${name}" (expected schema.table)`);
  return `${schemaIdentifier(parts[0])}.${plainIdentifier('table', parts[1])}`;
}

/** The quoted schema a migration runs in: its data source's (each service's own), else `fallback`. */
export function migrationSchema(q: { connection: { options: object } }, fallback = 'public'): string {
  return schemaIdentifier((q.connection.options as { schema?: string }).schema ?? fallback);
}
