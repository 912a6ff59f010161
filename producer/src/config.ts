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
 */

import { parseArgs } from 'node:util';
import { FLIGHT_SIMULATOR_DEFAULTS } from './flight-simulator.ts';
import type { KafkaSenderOptions } from './kafka-sender.ts';
import { SECURITY_MODES, type SecurityOptions } from './security.ts';

export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

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
  --batch-size N                     most events per produce request [PRODUCER_BATCH_SIZE] (default 2000)
  --linger-ms MS                     longest a partial batch waits [PRODUCER_LINGER_MS] (default 10)
  --max-in-flight N                  most unacknowledged requests [PRODUCER_MAX_IN_FLIGHT] (default 8)
  --compression ALGO                 none|gzip|snappy|lz4|zstd [PRODUCER_COMPRESSION] (default none)
  --client-id ID                     Kafka client id [PRODUCER_CLIENT_ID] (default flight-producer-w<worker-id>)
  --metrics-port N                   produce only: serve /metrics, /healthz, /readyz on this port; 0 = off [PRODUCER_METRICS_PORT] (default 0)
  --metrics-host ADDR                address the metrics server binds to [PRODUCER_METRICS_HOST] (default 127.0.0.1)
  --log-format text|json             text lines, or pino JSON lines on stderr [PRODUCER_LOG_FORMAT] (default text)
  --security MODE                    plaintext|tls|msk-iam (TLS + SASL OAUTHBEARER signed for MSK IAM) [PRODUCER_SECURITY] (default plaintext)
  --tls-ca-file PATH                 PEM CA bundle to trust for tls/msk-iam [PRODUCER_TLS_CA_FILE] (default: system roots)
  --aws-region REGION                region of the MSK cluster, for msk-iam [PRODUCER_AWS_REGION, else AWS_REGION]
  --partitions N                     topics only: partitions of the new topic [PRODUCER_PARTITIONS] (default 6)
  --replication-factor N             topics only: replicas per partition [PRODUCER_REPLICATION_FACTOR] (default 1; 3 on MSK)
  --topic-config K=V[,K=V]           topics only: topic configs, e.g. retention.ms=86400000 [PRODUCER_TOPIC_CONFIG]
  --out PATH                         generate only: file to write, '-' = stdout [PRODUCER_OUT] (default -)
  -h, --help                         print this help

Output: produce prints progress to stderr and one line to stdout at the end:
  PRODUCER_RESULT {"sent":N,"acked":N,"errors":N,"bytes":N,"elapsed_ms":N,"msgs_per_sec":X}
It exits 0 only when every sent event was acknowledged.`;

const OPTION_NAMES = [
  'bootstrap',
  'topic',
  'count',
  'duration-s',
  'rate',
  'seed',
  'worker-id',
  'workers',
  'start-time',
  'active-flights',
  'position-interval-s',
  'batch-size',
  'linger-ms',
  'max-in-flight',
  'compression',
  'client-id',
  'metrics-port',
  'metrics-host',
  'log-format',
  'security',
  'tls-ca-file',
  'aws-region',
  'partitions',
  'replication-factor',
  'topic-config',
  'out',
] as const;
type OptionName = (typeof OPTION_NAMES)[number];

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const HOST_PORT = /^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/**
 * Parses the CLI arguments (without `node` and the script) and the environment.
 * Pure: reads nothing but its arguments; `nowMs` is the default start time.
 * @throws ConfigError naming the option, the value and what was expected.
 */
export function parseProducerConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  nowMs: number = Date.now(),
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

  const workerId = integerOption(read('worker-id'), 0, 1_000_000, FLIGHT_SIMULATOR_DEFAULTS.workerId);
  const simulation: SimulationConfig = {
    seed: integerOption(read('seed'), 0, 0xffffffff, 1),
    workerId,
    startTimeMs: dateTimeOption(read('start-time'), nowMs),
    activeFlights: integerOption(read('active-flights'), 1, 10_000_000, FLIGHT_SIMULATOR_DEFAULTS.activeFlights),
    positionIntervalS: numberOption(read('position-interval-s'), 1, 3600, FLIGHT_SIMULATOR_DEFAULTS.positionIntervalS),
    count: integerOption(read('count'), 0, Number.MAX_SAFE_INTEGER, 0),
    durationS: numberOption(read('duration-s'), 0, Number.MAX_SAFE_INTEGER, 0),
    rate: numberOption(read('rate'), 0, Number.MAX_SAFE_INTEGER, 0),
    workers: integerOption(read('workers'), 1, 64, 1),
  };

  // The Kafka options are validated for both verbs so a typo never hides behind `generate`.
  const kafka = {
    bootstrapBrokers: bootstrapOption(read('bootstrap')),
    topic: patternOption(read('topic'), TOPIC, '1-249 characters of [A-Za-z0-9._-]', 'flight-events'),
    clientId: patternOption(read('client-id'), /^\S{1,255}$/, '1-255 non-space characters', `flight-producer-w${workerId}`),
    batchSize: integerOption(read('batch-size'), 1, 1_000_000, 2000),
    lingerMs: numberOption(read('linger-ms'), 0, 60_000, 10),
    maxInFlight: integerOption(read('max-in-flight'), 1, 1024, 8),
    compression: enumOption(read('compression'), COMPRESSIONS, 'none'),
    security: securityOption(read, env),
  };

  const topicsOnly = (['partitions', 'replication-factor', 'topic-config'] as const).map(read).find((raw) => raw !== undefined && !raw.source.includes('(from '));
  if (command === 'topics') {
    return {
      command,
      bootstrapBrokers: kafka.bootstrapBrokers,
      topic: kafka.topic,
      clientId: read('client-id') === undefined ? 'flight-producer-topics' : kafka.clientId,
      partitions: integerOption(read('partitions'), 1, 100_000, 6),
      replicationFactor: integerOption(read('replication-factor'), 1, 32_767, 1),
      topicConfigs: topicConfigsOption(read('topic-config')),
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
      metricsPort: integerOption(read('metrics-port'), 0, 65535, 0),
      metricsHost: patternOption(read('metrics-host'), /^[A-Za-z0-9.:_-]{1,253}$/, 'a host name or IP address, e.g. 0.0.0.0', '127.0.0.1'),
      logFormat: enumOption(read('log-format'), LOG_FORMATS, 'text'),
    };
  }

  if (simulation.count === 0) {
    throw new ConfigError(
      `--count: expected an integer > 0 for "generate" (it writes a finite file), got "${read('count')?.text ?? '0 (default)'}"`,
      '--count',
    );
  }
  const out = read('out');
  return { command, ...simulation, out: out === undefined ? '-' : nonEmpty(out) };
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

function integerOption(raw: RawValue | undefined, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.text.trim());
  if (!INTEGER.test(raw.text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(raw, max >= Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer between ${min} and ${max}`);
  }
  return value;
}

function numberOption(raw: RawValue | undefined, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.text.trim());
  if (!DECIMAL.test(raw.text.trim()) || !Number.isFinite(value) || value < min || value > max) {
    fail(raw, max >= Number.MAX_SAFE_INTEGER ? `a number >= ${min}` : `a number between ${min} and ${max}`);
  }
  return value;
}

function dateTimeOption(raw: RawValue | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Date.parse(raw.text);
  if (!ISO_DATE_TIME.test(raw.text) || !Number.isFinite(value) || value < 0) {
    fail(raw, 'an ISO-8601 date-time with a time zone after 1970, e.g. 2026-01-01T00:00:00Z');
  }
  return value;
}

function enumOption<T extends string>(raw: RawValue | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw.text)) fail(raw, `one of ${allowed.join('|')}`);
  return raw.text as T;
}

function patternOption(raw: RawValue | undefined, pattern: RegExp, expected: string, fallback: string): string {
  if (raw === undefined) return fallback;
  if (!pattern.test(raw.text)) fail(raw, expected);
  return raw.text;
}

function bootstrapOption(raw: RawValue | undefined): string[] {
  if (raw === undefined) return ['127.0.0.1:9092'];
  const brokers = raw.text.split(',').map((b) => b.trim());
  for (const broker of brokers) {
    const match = HOST_PORT.exec(broker);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) fail(raw, 'host:port[,host:port...] with ports 1-65535');
  }
  return brokers;
}

function securityOption(read: (name: OptionName) => RawValue | undefined, env: Readonly<Record<string, string | undefined>>): SecurityOptions {
  const mode = enumOption(read('security'), SECURITY_MODES, 'plaintext');
  const caRaw = read('tls-ca-file');
  const regionRaw = read('aws-region') ?? (env['AWS_REGION'] ? { text: env['AWS_REGION'], source: '--aws-region (from AWS_REGION)' } : undefined);
  if (caRaw !== undefined && mode === 'plaintext') fail(caRaw, 'no CA file with --security plaintext (use tls or msk-iam)');
  const awsRegion = regionRaw === undefined ? undefined : patternOption(regionRaw, /^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as eu-west-1', '');
  if (mode === 'msk-iam' && awsRegion === undefined) {
    throw new ConfigError('--security msk-iam: expected --aws-region (or AWS_REGION) naming the MSK cluster\'s region, got none', '--aws-region');
  }
  return { mode, tlsCaFile: caRaw === undefined ? undefined : nonEmpty(caRaw), awsRegion };
}

function topicConfigsOption(raw: RawValue | undefined): Record<string, string> {
  const configs: Record<string, string> = {};
  if (raw === undefined) return configs;
  for (const pair of raw.text.split(',')) {
    const match = /^([a-z0-9][a-z0-9._-]*)=(.+)$/.exec(pair.trim());
    if (!match) fail(raw, 'key=value[,key=value...] with Kafka topic config names, e.g. retention.ms=86400000');
    configs[match[1] as string] = match[2] as string;
  }
  return configs;
}

function nonEmpty(raw: RawValue): string {
  if (raw.text.trim() === '') fail(raw, 'a file path or "-" for stdout');
  return raw.text;
}
