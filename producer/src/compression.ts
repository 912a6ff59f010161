/**
 * The record-batch compressions Kafka defines, and the codec that does each. Wire-level: the
 * record batch (record-batch.ts) and the sender use it, and the CLI (config.ts) takes its list of
 * names from here.
 *
 * gzip and zstd are Node's own zlib (native); snappy and lz4 are @platformatic/kafka's WebAssembly
 * codecs (Rust: lz4_flex for lz4). The native build of the same lz4_flex on the npm registry
 * (lz4-napi) measured no faster on our batches (docs/producer.md), so lz4 stays in WebAssembly.
 */

import { compressionsAlgorithms } from '@platformatic/kafka';

export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export interface Codec {
  /** The compression bits of a record batch's attributes (1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  readonly attributes: number;
  /** The compressed form of a batch's records, as Kafka expects it for this codec. */
  compress(records: Buffer): Buffer;
}

function clientCodec(compression: Exclude<Compression, 'none'>): Codec {
  const algorithm = compressionsAlgorithms[compression];
  return { attributes: algorithm.bitmask, compress: (records) => algorithm.compressSync(records) as Buffer };
}

const CODECS: Readonly<Record<Exclude<Compression, 'none'>, Codec>> = {
  gzip: clientCodec('gzip'),
  snappy: clientCodec('snappy'),
  lz4: clientCodec('lz4'),
  zstd: clientCodec('zstd'),
};

/** The codec of a compression other than 'none'. */
export function codecFor(compression: Exclude<Compression, 'none'>): Codec {
  return CODECS[compression];
}
