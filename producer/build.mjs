// Bundles the producer CLI into one ESM file, producer/dist/producer.mjs, for the container image.
//   node producer/build.mjs
// - ESM, because @platformatic/wasm-utils finds its wasm through import.meta.url; we alias it to
//   its `/bundled` export, which carries the wasm inline, so no .wasm file has to ship alongside.
// - @node-rs/crc32 (a native addon, optional: the client falls back to wasm CRC32C) stays
//   external; the Dockerfile copies it next to the bundle.
// - --workers starts the bundle itself as a worker_thread (main.ts checks workerData), so one
//   file is the whole program.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const producerDir = dirname(fileURLToPath(import.meta.url));
const outfile = join(producerDir, 'dist', 'producer.mjs');

const result = await build({
  entryPoints: [join(producerDir, 'src', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  alias: { '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled' },
  external: ['@node-rs/crc32'],
  // CommonJS dependencies (pino, prom-client) call require() for Node built-ins; ESM has none.
  banner: { js: "import { createRequire as __producerCreateRequire } from 'node:module'; const require = __producerCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
process.stdout.write(`bundled producer/src/main.ts -> ${outfile} (${Math.round(bytes / 1024)} KiB)\n`);
