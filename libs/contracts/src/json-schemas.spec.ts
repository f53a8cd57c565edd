import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventJsonSchemas } from './json-schemas';

const docs = join(__dirname, '../../../docs/events');

describe('docs/events JSON Schemas', () => {
  it('are up to date with the zod schemas (run `npm run events:schemas` to refresh)', () => {
    const expected = eventJsonSchemas();
    const onDisk = readdirSync(docs).filter((f) => f.endsWith('.schema.json')).sort();
    assert.deepEqual(onDisk, expected.map((s) => s.file).sort(), 'the set of schema files differs');
    for (const { file, schema } of expected) {
      const stored = JSON.parse(readFileSync(join(docs, file), 'utf8'));
      assert.deepEqual(stored, schema, `${file} is stale`);
    }
  });
});
