/**
 * Derives the producer's TypeScript types from schema/flight-event.schema.json.
 *
 *   npx tsx schema/generate-types.ts          # rewrite producer/src/generated/flight-event.ts
 *   npx tsx schema/generate-types.ts --check  # exit 1 when the committed file is stale
 *
 * The test suite runs the same comparison (test/schema/schema-coherence.test.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

export const schemaPath = fileURLToPath(new URL('./flight-event.schema.json', import.meta.url));
export const generatedTypesPath = fileURLToPath(
  new URL('../producer/src/generated/flight-event.ts', import.meta.url),
);

export async function renderFlightEventTypes(): Promise<string> {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8'));
  const body = await compile(schema, 'FlightEvent', {
    bannerComment:
      '/* Generated from schema/flight-event.schema.json by schema/generate-types.ts. Do not edit: edit the schema and run `make schema`. */',
    additionalProperties: false,
    strictIndexSignatures: true,
    style: { singleQuote: true, printWidth: 110 },
  });
  const eventTypes = schema.properties.event_type.enum as string[];
  return (
    body +
    '\n/** Every value of FlightEvent.event_type, in lifecycle order. */\n' +
    `export const FLIGHT_EVENT_TYPES = ${JSON.stringify(eventTypes).replaceAll('"', "'").replaceAll(',', ', ')} as const;\n`
  );
}

async function main(): Promise<void> {
  const rendered = await renderFlightEventTypes();
  if (process.argv.includes('--check')) {
    const committed = await readFile(generatedTypesPath, 'utf8').catch(() => '');
    if (committed !== rendered) {
      console.error(
        `${generatedTypesPath} is stale: it does not match ${schemaPath}. Run \`make schema\` and commit the result.`,
      );
      process.exit(1);
    }
    return;
  }
  await writeFile(generatedTypesPath, rendered);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
