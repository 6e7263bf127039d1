// Writes the lab file format's JSON Schema to docs/lab.schema.json (npm run schema:lab).
// test/labs/schema-export.test.ts fails when the file and the schema in src/common/lab differ.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { labJsonSchemaText } from '../src/common/lab/schema.js';

const target = fileURLToPath(new URL('../docs/lab.schema.json', import.meta.url));
writeFileSync(target, labJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
