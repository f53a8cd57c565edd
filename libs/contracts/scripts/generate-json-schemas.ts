// Regenerates docs/events/*.schema.json from the zod schemas (`npm run events:schemas`).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventJsonSchemas } from '../src/json-schemas';

const dir = join(__dirname, '../../../docs/events');
mkdirSync(dir, { recursive: true });
for (const file of readdirSync(dir)) if (file.endsWith('.schema.json')) rmSync(join(dir, file));
for (const { file, schema } of eventJsonSchemas()) writeFileSync(join(dir, file), `${JSON.stringify(schema, null, 2)}\n`);
process.stdout.write(`wrote ${readdirSync(dir).length} schemas to ${dir}\n`);
