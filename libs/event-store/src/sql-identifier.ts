/** Schema names come from code, never from users; still, refuse anything but a plain identifier. */
export function schemaIdentifier(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  return `"${schema}"`;
}

/** A column name from code: a plain identifier, quoted. */
export function columnIdentifier(column: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(column)) throw new Error(`invalid column name "${column}"`);
  return `"${column}"`;
}

/** `schema.table` from code: two plain identifiers, quoted. */
export function qualifiedTable(name: string): string {
  const parts = name.split('.');
  if (parts.length !== 2) throw new Error(`invalid table name "${name}" (expected schema.table)`);
  return `${schemaIdentifier(parts[0])}.${columnIdentifier(parts[1])}`;
}
