#!/usr/bin/env node
// Validates JSON documents against the node projects' own published schemas (excerpts in
// tests/data/node-schemas: lnd's swagger definitions, Core Lightning's doc/schemas), with the
// npm `ajv` JSON Schema validator. tests/integration/NodeSchemaTest.cpp sends what each node
// double answered and fails on any mismatch.
//
// One JSON request per stdin line, one answer per line, in order:
//   {"schema": "<file in tests/data/node-schemas>", "definition": "<name>"?, "closed": bool?,
//    "document": <JSON>}  ->  {"valid": bool, "errors": "<ajv's messages>"}
// `definition` validates against definitions/<name> of a swagger excerpt. `closed` forbids
// properties a definition does not name (grpc-gateway emits exactly the proto's fields).
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'node-schemas');

// Swagger 2 and CLN keywords that are not draft-07 ones ("format": "int64"/"byte") are
// annotations here; strict mode would refuse the schema files for them.
const closeObjects = (node) => {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) out[key] = closeObjects(value);
  if (out.type === 'object' && out.properties && !('additionalProperties' in out)) {
    out.additionalProperties = false;
  }
  return out;
};

const validators = new Map();
const validatorFor = ({ schema, definition, closed }) => {
  const key = `${schema}#${definition ?? ''}#${closed ? 1 : 0}`;
  if (!validators.has(key)) {
    if (!/^[a-z0-9.-]+\.json$/.test(schema)) throw new Error(`bad schema name ${schema}`);
    let root = JSON.parse(readFileSync(join(schemaDir, schema), 'utf8'));
    if (closed) root = closeObjects(root);
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    let target = root;
    if (definition !== undefined) {
      if (!root.definitions || !root.definitions[definition]) {
        throw new Error(`${schema} has no definition ${definition}`);
      }
      // The definition, with the file's definitions beside it for its $refs.
      target = { ...root.definitions[definition], definitions: root.definitions };
    }
    validators.set(key, ajv.compile(target));
  }
  return validators.get(key);
};

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    const request = JSON.parse(line);
    const validate = validatorFor(request);
    const valid = validate(request.document);
    answer = { valid, errors: valid ? '' : JSON.stringify(validate.errors) };
  } catch (error) {
    answer = { valid: false, errors: `tool error: ${error.message}` };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
