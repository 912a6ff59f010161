import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { generatedTypesPath, renderFlightEventTypes, schemaPath } from '../../schema/generate-types.ts';
import { FLIGHT_EVENT_TYPES } from '../../producer/src/generated/flight-event.ts';

const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));

describe('flight event schema', () => {
  it('is a valid JSON Schema 2020-12 document that compiles in strict mode', () => {
    // GIVEN a strict validator with the standard formats
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    ajvFormats.default(ajv);
    // WHEN the schema is compiled
    const validate = ajv.compile(schema);
    // THEN it exists and rejects an empty object, naming a required field
    expect(validate({})).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('event_id');
  });

  it('documents every field (description on each property)', () => {
    const undocumented = Object.entries(schema.properties as Record<string, { description?: string }>)
      .filter(([, property]) => !property.description)
      .map(([name]) => name);
    const position = schema.properties.position.properties as Record<string, { description?: string }>;
    const undocumentedPosition = Object.entries(position)
      .filter(([, property]) => !property.description)
      .map(([name]) => `position.${name}`);
    expect([...undocumented, ...undocumentedPosition]).toEqual([]);
  });

  it('has the TypeScript types generated from the current schema (run `make schema` when this fails)', async () => {
    // GIVEN the committed generated file and a fresh rendering from the schema
    const committed = readFileSync(generatedTypesPath, 'utf8');
    // WHEN the types are rendered again
    const rendered = await renderFlightEventTypes();
    // THEN they are identical: the producer's types cannot drift from the schema
    expect(committed).toBe(rendered);
  });

  it('exports the event types in the order and spelling of the schema enum', () => {
    expect([...FLIGHT_EVENT_TYPES]).toEqual(schema.properties.event_type.enum);
  });
});
