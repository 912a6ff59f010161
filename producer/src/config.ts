/**
 * Command line and environment of the producer CLI, parsed and validated without side effects.
 *
 *   producer produce  [options]   generate flight events and send them to Kafka
 *   producer generate [options]   write the same events as JSON Lines (the test oracle)
 *
 * Every option can also come from an environment variable named PRODUCER_<OPTION> in upper
 * snake case (--duration-s -> PRODUCER_DURATION_S). A flag on the command line wins over the
 * environment. `generate` accepts the Kafka options too (and ignores them), so one command line
 * can be switched between the two verbs and still describe the same event stream.
 *
 * Every value is checked with a zod schema (OPTION_SCHEMAS below); a bad one becomes a ConfigError
 * naming the option (and the environment variable it came from), the value and what is expected.
 */

import { accessSync, constants as fsConstants } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { COMPRESSIONS, type Compression } from './compression.ts';
import { FLIGHT_SIMULATOR_DEFAULTS } from './flight-simulator.ts';
import { DELIVERY_TIMEOUT_MS, type KafkaSenderOptions } from './kafka-sender.ts';
import { SECURITY_MODES, type SecurityOptions } from './security.ts';

/** Options shared by both verbs: what to generate and how much. */
export interface SimulationConfig {
  /** Seed of the event stream. */
  readonly seed: number;
  readonly workerId: number;
  /** Event time of the first events, ms since the Unix epoch. */
  readonly startTimeMs: number;
  readonly activeFlights: number;
  readonly positionIntervalS: number;
  /** Events to produce; 0 = until --duration-s elapses or a signal arrives. */
  readonly count: number;
  /** Wall-clock limit, seconds; 0 = none. */
  readonly durationS: number;
  /** Events per second; 0 = as fast as possible. */
  readonly rate: number;
  /** Worker threads, each with its own simulator (worker id = --worker-id + i) and, for produce, its own Kafka producer. */
  readonly workers: number;
}

/** `produce`: the simulation plus how to send (the sender's options; retries and timeouts keep their defaults). */
export interface ProduceConfig extends SimulationConfig, Omit<KafkaSenderOptions, 'retries' | 'timeoutMs'> {
  readonly command: 'produce';
  /** Port of /metrics, /healthz and /readyz; 0 = no server. */
  readonly metricsPort: number;
  /** Address the metrics server binds to. */
  readonly metricsHost: string;
  /** 'text' = readable lines; 'json' = pino JSON lines, one object per line (for log collectors). */
  readonly logFormat: LogFormat;
}

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface GenerateConfig extends SimulationConfig {
  readonly command: 'generate';
  /** File to write, or '-' for stdout. */
  readonly out: string;
}

/** `topics`: create the topic (idempotent: an existing topic is reported, not an error). */
export interface TopicsConfig {
  readonly command: 'topics';
  readonly bootstrapBrokers: readonly string[];
  readonly topic: string;
  readonly clientId: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs, e.g. { 'retention.ms': '86400000' }. */
  readonly topicConfigs: Readonly<Record<string, string>>;
  readonly security: SecurityOptions;
}

export interface HelpConfig {
  readonly command: 'help';
}

export type ProducerConfig = ProduceConfig | GenerateConfig | TopicsConfig | HelpConfig;

/** A bad command line or environment; the message names the option, the value and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    /** The option at fault, e.g. '--rate', when there is one. */
    readonly option?: string,
  ) {
    super(message);
  }
}

export const USAGE = `Usage: producer <produce|generate|topics> [options]

  produce    generate flight events and send them to Kafka (acks=all, idempotent)
  generate   write the same events as JSON Lines (same options => the same bytes as produce sends);
             needs --count > 0, ignores --rate and --duration-s, accepts and ignores the Kafka options
  topics     create --topic with --partitions, --replication-factor and --topic-config (an existing topic is
             reported and left alone); uses --bootstrap, --client-id and the security options

Options (environment variable in brackets; a flag wins over the environment):
  --bootstrap HOST:PORT[,HOST:PORT]  Kafka bootstrap brokers [PRODUCER_BOOTSTRAP] (default 127.0.0.1:9092)
  --topic NAME                       topic to produce to [PRODUCER_TOPIC] (default flight-events)
  --count N                          events to produce; 0 = until --duration-s or a signal [PRODUCER_COUNT] (default 0)
  --duration-s S                     stop after S seconds; 0 = no limit [PRODUCER_DURATION_S] (default 0)
  --rate N                           events per second; 0 = unlimited [PRODUCER_RATE] (default 0)
  --seed N                           seed of the event stream, 0..4294967295 [PRODUCER_SEED] (default 1)
  --worker-id N                      id of this producer worker [PRODUCER_WORKER_ID] (default 0)
  --workers N                        worker threads, 1-64; worker i simulates worker id (--worker-id + i), gets
                                     --count and --rate split evenly, and has its own Kafka producer;
                                     generate writes worker 0's events, then worker 1's, ... [PRODUCER_WORKERS] (default 1)
  --start-time ISO                   event time of the first events [PRODUCER_START_TIME] (default now)
  --active-flights N                 flights alive at once [PRODUCER_ACTIVE_FLIGHTS] (default 2000)
  --position-interval-s S            seconds between position reports [PRODUCER_POSITION_INTERVAL_S] (default 60)
  --batch-size N                     most events per produce request [PRODUCER_BATCH_SIZE] (default 5000)
  --linger-ms MS                     longest a partial batch waits [PRODUCER_LINGER_MS] (default 10)
  --max-in-flight N                  most unacknowledged produce requests, 1-5 [PRODUCER_MAX_IN_FLIGHT] (default 5)
  --delivery-timeout-ms MS           how long a batch is retried (leader changes, broker restarts) before the run fails,
                                     as Java's delivery.timeout.ms [PRODUCER_DELIVERY_TIMEOUT_MS] (default 120000)
  --compression ALGO                 none|gzip|snappy|lz4|zstd [PRODUCER_COMPRESSION] (default none)
  --client-id ID                     Kafka client id [PRODUCER_CLIENT_ID] (default flight-producer-w<worker-id>)
  --metrics-port N                   produce only: serve /metrics, /healthz, /readyz on this port; 0 = off [PRODUCER_METRICS_PORT] (default 0)
  --metrics-host ADDR                address the metrics server binds to [PRODUCER_METRICS_HOST] (default 127.0.0.1)
  --log-format text|json             text lines, or pino JSON lines on stderr [PRODUCER_LOG_FORMAT] (default text)
  --security MODE                    plaintext|tls|msk-iam (TLS + SASL OAUTHBEARER signed for MSK IAM) [PRODUCER_SECURITY] (default plaintext)
  --tls-ca-file PATH                 PEM CA bundle to trust for tls/msk-iam [PRODUCER_TLS_CA_FILE] (default: system roots)
  --tls-cert-file PATH               tls only: PEM client certificate for mutual TLS, e.g. a Strimzi KafkaUser's user.crt
                                     [PRODUCER_TLS_CERT_FILE]; needs --tls-key-file
  --tls-key-file PATH                tls only: PEM private key of --tls-cert-file [PRODUCER_TLS_KEY_FILE]
  --aws-region REGION                region of the MSK cluster, for msk-iam [PRODUCER_AWS_REGION, else AWS_REGION]
  --partitions N                     topics only: partitions of the new topic [PRODUCER_PARTITIONS] (default 6)
  --replication-factor N             topics only: replicas per partition [PRODUCER_REPLICATION_FACTOR] (default 1; 3 on MSK)
  --topic-config K=V[,K=V]           topics only: topic configs, e.g. retention.ms=86400000 [PRODUCER_TOPIC_CONFIG]
  --out PATH                         generate only: file to write, '-' = stdout [PRODUCER_OUT] (default -)
  -h, --help                         print this help

Output: produce prints progress to stderr and one line to stdout at the end:
  PRODUCER_RESULT {"sent":N,"acked":N,"errors":N,"bytes":N,"elapsed_ms":N,"msgs_per_sec":X}
It exits 0 only when every sent event was acknowledged.`;


const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const HOST_PORT = /^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** Most produce requests in flight: Kafka de-duplicates the last 5 batches per partition of an idempotent producer. */
export const MAX_IN_FLIGHT_LIMIT = 5;

/** A zod schema for one option's text, and the words for what it expects (used in every error). */
interface OptionSchema<T> {
  readonly schema: z.ZodType<T, string>;
  readonly expected: string;
}

function integerSchema(min: number, max: number): OptionSchema<number> {
  return {
    schema: z
      .string()
      .trim()
      .regex(INTEGER)
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
    expected: max >= Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer between ${min} and ${max}`,
  };
}

function numberSchema(min: number, max: number): OptionSchema<number> {
  return {
    schema: z
      .string()
      .trim()
      .regex(DECIMAL)
      .transform(Number)
      .pipe(z.number().min(min).max(max)),
    expected: max >= Number.MAX_SAFE_INTEGER ? `a number >= ${min}` : `a number between ${min} and ${max}`,
  };
}

function enumSchema<T extends string>(values: readonly [T, ...T[]]): OptionSchema<T> {
  return { schema: z.enum(values) as unknown as z.ZodType<T, string>, expected: `one of ${values.join('|')}` };
}

function patternSchema(pattern: RegExp, expected: string): OptionSchema<string> {
  return { schema: z.string().regex(pattern), expected };
}

const hostPort = z
  .string()
  .trim()
  .regex(HOST_PORT)
  .refine((broker) => {
    const port = Number(broker.slice(broker.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  });

/** The schema of every option that takes a value. */
export const OPTION_SCHEMAS = {
  bootstrap: {
    schema: z.string().transform((text) => text.split(',')).pipe(z.array(hostPort).min(1)),
    expected: 'host:port[,host:port...] with ports 1-65535',
  } satisfies OptionSchema<string[]>,
  topic: patternSchema(/^[A-Za-z0-9._-]{1,249}$/, '1-249 characters of [A-Za-z0-9._-]'),
  count: integerSchema(0, Number.MAX_SAFE_INTEGER),
  'duration-s': numberSchema(0, Number.MAX_SAFE_INTEGER),
  rate: numberSchema(0, Number.MAX_SAFE_INTEGER),
  seed: integerSchema(0, 0xffffffff),
  'worker-id': integerSchema(0, 1_000_000),
  workers: integerSchema(1, 64),
  'start-time': {
    schema: z
      .string()
      .regex(ISO_DATE_TIME)
      .transform((text) => Date.parse(text))
      .pipe(z.number().finite().min(0)),
    expected: 'an ISO-8601 date-time with a time zone after 1970, e.g. 2026-01-01T00:00:00Z',
  } satisfies OptionSchema<number>,
  'active-flights': integerSchema(1, 10_000_000),
  'position-interval-s': numberSchema(1, 3600),
  'batch-size': integerSchema(1, 1_000_000),
  'linger-ms': numberSchema(0, 60_000),
  'delivery-timeout-ms': integerSchema(1_000, 3_600_000),
  'max-in-flight': {
    ...integerSchema(1, MAX_IN_FLIGHT_LIMIT),
    expected: `an integer between 1 and ${MAX_IN_FLIGHT_LIMIT} (the idempotent producer's limit)`,
  },
  compression: enumSchema(COMPRESSIONS as unknown as [Compression, ...Compression[]]),
  'client-id': patternSchema(/^\S{1,255}$/, '1-255 non-space characters'),
  'metrics-port': integerSchema(0, 65535),
  'metrics-host': patternSchema(/^[A-Za-z0-9.:_-]{1,253}$/, 'a host name or IP address, e.g. 0.0.0.0'),
  'log-format': enumSchema(LOG_FORMATS as unknown as [LogFormat, ...LogFormat[]]),
  security: enumSchema(SECURITY_MODES as unknown as [(typeof SECURITY_MODES)[number], ...(typeof SECURITY_MODES)[number][]]),
  'tls-ca-file': patternSchema(/\S/, 'a readable PEM file'),
  'tls-cert-file': patternSchema(/\S/, 'a readable PEM file'),
  'tls-key-file': patternSchema(/\S/, 'a readable PEM file'),
  'aws-region': patternSchema(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as eu-west-1'),
  partitions: integerSchema(1, 100_000),
  'replication-factor': integerSchema(1, 32_767),
  'topic-config': {
    schema: z
      .string()
      .transform((text) => text.split(',').map((pair) => pair.trim()))
      .pipe(z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]*=.+$/)))
      .transform((pairs) => Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))),
    expected: 'key=value[,key=value...] with Kafka topic config names, e.g. retention.ms=86400000',
  } satisfies OptionSchema<Record<string, string>>,
  out: patternSchema(/\S/, 'a file path or "-" for stdout'),
} as const;

type OptionName = keyof typeof OPTION_SCHEMAS;
const OPTION_NAMES = Object.keys(OPTION_SCHEMAS) as OptionName[];
type OptionValue<N extends OptionName> = z.output<(typeof OPTION_SCHEMAS)[N]['schema']>;

/** Checks a path the producer will read (e.g. --tls-ca-file); throws with the reason when it cannot. Replaceable in tests. */
export type ReadableCheck = (path: string) => void;
const canRead: ReadableCheck = (path) => accessSync(path, fsConstants.R_OK);

/**
 * Parses the CLI arguments (without `node` and the script) and the environment.
 * Pure apart from `readable` (checks --tls-ca-file can be read); `nowMs` is the default start time.
 * @throws ConfigError naming the option, the value and what was expected.
 */
export function parseProducerConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  nowMs: number = Date.now(),
  readable: ReadableCheck = canRead,
): ProducerConfig {
  const parsed = parseCommandLine(argv);
  if (parsed.help) return { command: 'help' };

  const [command, ...extra] = parsed.positionals;
  if (command === undefined) {
    throw new ConfigError(`missing command: expected "produce", "generate" or "topics"\n\n${USAGE}`);
  }
  if (command !== 'produce' && command !== 'generate' && command !== 'topics') {
    throw new ConfigError(`unknown command "${command}": expected "produce", "generate" or "topics"`);
  }
  if (extra.length > 0) {
    throw new ConfigError(`unexpected argument "${extra[0]}": options start with "--" (see --help)`);
  }

  const read = (name: OptionName): RawValue | undefined => {
    const fromFlag = parsed.values[name];
    if (fromFlag !== undefined) return { text: fromFlag, source: `--${name}` };
    const envName = envNameOf(name);
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return { text: fromEnv, source: `--${name} (from ${envName})` };
    return undefined;
  };
  /** The option's value checked by its zod schema, or `fallback` when it is not given. */
  const get = <N extends OptionName, F>(name: N, fallback: F, raw: RawValue | undefined = read(name)): OptionValue<N> | F => {
    if (raw === undefined) return fallback;
    const { schema, expected } = OPTION_SCHEMAS[name];
    const result = (schema as z.ZodType<OptionValue<N>, string>).safeParse(raw.text);
    if (!result.success) fail(raw, expected);
    return result.data;
  };

  const workerId = get('worker-id', FLIGHT_SIMULATOR_DEFAULTS.workerId);
  const simulation: SimulationConfig = {
    seed: get('seed', 1),
    workerId,
    startTimeMs: get('start-time', nowMs),
    activeFlights: get('active-flights', FLIGHT_SIMULATOR_DEFAULTS.activeFlights),
    positionIntervalS: get('position-interval-s', FLIGHT_SIMULATOR_DEFAULTS.positionIntervalS),
    count: get('count', 0),
    durationS: get('duration-s', 0),
    rate: get('rate', 0),
    workers: get('workers', 1),
  };

  // The Kafka options are validated for both verbs so a typo never hides behind `generate`.
  const kafka = {
    bootstrapBrokers: get('bootstrap', ['127.0.0.1:9092']),
    topic: get('topic', 'flight-events'),
    clientId: get('client-id', `flight-producer-w${workerId}`),
    batchSize: get('batch-size', 5000),
    lingerMs: get('linger-ms', 10),
    deliveryTimeoutMs: get('delivery-timeout-ms', DELIVERY_TIMEOUT_MS),
    maxInFlight: get('max-in-flight', MAX_IN_FLIGHT_LIMIT),
    compression: get('compression', 'none' as Compression),
    security: securityOption(read, get, env, readable),
  };

  const topicsOnly = (['partitions', 'replication-factor', 'topic-config'] as const).map(read).find((raw) => raw !== undefined && !raw.source.includes('(from '));
  if (command === 'topics') {
    return {
      command,
      bootstrapBrokers: kafka.bootstrapBrokers,
      topic: kafka.topic,
      clientId: read('client-id') === undefined ? 'flight-producer-topics' : kafka.clientId,
      partitions: get('partitions', 6),
      replicationFactor: get('replication-factor', 1),
      topicConfigs: get('topic-config', {}),
      security: kafka.security,
    };
  }
  if (topicsOnly !== undefined) {
    throw new ConfigError(`${topicsOnly.source}: only "topics" takes this option; got "${topicsOnly.text}" for "${command}"`, topicsOnly.source.split(' ')[0]);
  }

  if (command === 'produce') {
    const out = read('out');
    if (out !== undefined) {
      throw new ConfigError(`${out.source}: only "generate" writes a file; got "${out.text}" for "produce"`, '--out');
    }
    return {
      command,
      ...simulation,
      ...kafka,
      metricsPort: get('metrics-port', 0),
      metricsHost: get('metrics-host', '127.0.0.1'),
      logFormat: get('log-format', 'text' as LogFormat),
    };
  }

  if (simulation.count === 0) {
    throw new ConfigError(
      `--count: expected an integer > 0 for "generate" (it writes a finite file), got "${read('count')?.text ?? '0 (default)'}"`,
      '--count',
    );
  }
  return { command, ...simulation, out: get('out', '-') };
}

/** PRODUCER_<OPTION> in upper snake case. */
export function envNameOf(option: string): string {
  return `PRODUCER_${option.replaceAll('-', '_').toUpperCase()}`;
}

// ---- internals --------------------------------------------------------------------------------

interface RawValue {
  readonly text: string;
  /** How the user named the value, for messages: '--rate' or '--rate (from PRODUCER_RATE)'. */
  readonly source: string;
}

function parseCommandLine(argv: readonly string[]): { values: Partial<Record<OptionName, string>>; positionals: string[]; help: boolean } {
  // parseArgs refuses "--rate -5" as ambiguous; join a value that looks like a negative number so
  // the range check below can name the option and the value.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (arg.startsWith('--') && !arg.includes('=') && next !== undefined && DECIMAL.test(next) && next.startsWith('-')) {
      args.push(`${arg}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
  }
  const options: Record<string, { type: 'string' } | { type: 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const name of OPTION_NAMES) options[name] = { type: 'string' };
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    const help = values['help'] === true;
    const strings: Partial<Record<OptionName, string>> = {};
    for (const name of OPTION_NAMES) {
      const value = values[name];
      if (typeof value === 'string') strings[name] = value;
    }
    return { values: strings, positionals, help };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(`${message} (see --help)`);
  }
}

function fail(raw: RawValue, expected: string): never {
  const option = raw.source.split(' ')[0];
  throw new ConfigError(`${raw.source}: expected ${expected}, got "${raw.text}"`, option);
}

function securityOption(
  read: (name: OptionName) => RawValue | undefined,
  get: <N extends OptionName, F>(name: N, fallback: F, raw?: RawValue) => OptionValue<N> | F,
  env: Readonly<Record<string, string | undefined>>,
  readable: ReadableCheck,
): SecurityOptions {
  const mode = get('security', 'plaintext' as const);
  const caRaw = read('tls-ca-file');
  const certRaw = read('tls-cert-file');
  const keyRaw = read('tls-key-file');
  const regionRaw = read('aws-region') ?? (env['AWS_REGION'] ? { text: env['AWS_REGION'], source: '--aws-region (from AWS_REGION)' } : undefined);
  if (caRaw !== undefined && mode === 'plaintext') fail(caRaw, 'no CA file with --security plaintext (use tls or msk-iam)');
  // A client certificate is mutual TLS (e.g. Strimzi's tls listener); MSK IAM authenticates with tokens instead.
  for (const raw of [certRaw, keyRaw]) {
    if (raw !== undefined && mode !== 'tls') fail(raw, `no client certificate or key with --security ${mode} (only tls uses them)`);
  }
  if (certRaw !== undefined && keyRaw === undefined) fail(certRaw, 'a client certificate together with --tls-key-file (its private key)');
  if (keyRaw !== undefined && certRaw === undefined) fail(keyRaw, 'a private key together with --tls-cert-file (its certificate)');
  const readablePem = (name: 'tls-ca-file' | 'tls-cert-file' | 'tls-key-file', raw: RawValue | undefined): string | undefined => {
    const path = get(name, undefined, raw);
    if (raw !== undefined && path !== undefined) {
      try {
        readable(path);
      } catch (error) {
        fail(raw, `a readable PEM file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
    }
    return path;
  };
  const tlsCaFile = readablePem('tls-ca-file', caRaw);
  const tlsCertFile = readablePem('tls-cert-file', certRaw);
  const tlsKeyFile = readablePem('tls-key-file', keyRaw);
  const awsRegion = get('aws-region', undefined, regionRaw);
  if (mode === 'msk-iam' && awsRegion === undefined) {
    throw new ConfigError('--security msk-iam: expected --aws-region (or AWS_REGION) naming the MSK cluster\'s region, got none', '--aws-region');
  }
  return { mode, tlsCaFile, tlsCertFile, tlsKeyFile, awsRegion };
}
