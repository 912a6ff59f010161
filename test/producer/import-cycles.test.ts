import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../producer/src');

/** Every .ts file under `dir` and the producer files it imports (type-only imports included: a loop of types is a loop too). */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const path = join(dir, file);
    const imports = ts
      .preProcessFile(readFileSync(path, 'utf8'), true, true)
      .importedFiles.map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => relative(dir, resolve(dirname(path), name)));
    graph.set(file, imports);
  }
  return graph;
}

/** Each import loop once, as the files around it ("a.ts -> b.ts -> a.ts"). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const loop = stack.slice(stack.indexOf(next));
        // Start each loop at its smallest file, so one loop is reported once however it was entered.
        const start = loop.indexOf([...loop].sort()[0] as string);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        found.add([...rotated, rotated[0]].join(' -> '));
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return [...found].sort();
}

describe('producer/src imports', () => {
  it('form no loop: the wire code (record batches, sender, compression) never imports the CLI config', () => {
    // GIVEN every import between the producer's files
    const graph = importGraph(SRC);
    // WHEN searched for loops
    // THEN there are none, and the wire-level types come from the wire code's own module
    expect(cycles(graph)).toStrictEqual([]);
    expect(graph.get('config.ts')).toContain('compression.ts');
    for (const wire of ['record-batch.ts', 'kafka-sender.ts', 'compression.ts', 'encode.ts']) {
      expect({ wire, importsConfig: graph.get(wire)?.includes('config.ts') }).toStrictEqual({ wire, importsConfig: false });
    }
  });

  it('has a loop finder that finds loops, type-only ones included, each once', () => {
    expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts', 'd.ts']], ['d.ts', []]]))).toStrictEqual(['a.ts -> b.ts -> c.ts -> a.ts']);
    expect(cycles(new Map([['x.ts', ['x.ts']]]))).toStrictEqual(['x.ts -> x.ts']);
    expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toStrictEqual([]);
    const typeOnly = ts.preProcessFile("import { type A } from './a.ts';\nimport type { B } from './b.ts';\n", true, true);
    expect(typeOnly.importedFiles.map((i) => i.fileName)).toStrictEqual(['./a.ts', './b.ts']);
  });
});
