import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, envNameOf, OPTION_SCHEMAS, parseProducerConfig, type ProduceConfig, type GenerateConfig } from '../../producer/src/config.ts';

const REPO_ROOT = join(import.meta.dirname, '../..');
const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = join(REPO_ROOT, 'producer/src/main.ts');

const NOW_MS = Date.parse('2026-05-01T12:00:00.000Z');

function parse(argv: string[], env: Record<string, string> = {}) {
  return parseProducerConfig(argv, env, NOW_MS);
}

function errorOf(argv: string[], env: Record<string, string> = {}): ConfigError {
  try {
    parse(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${argv.join(' ')}`);
}

describe('parseProducerConfig', () => {
  it('fills documented defaults for produce', () => {
    // GIVEN only the sub-command
    // WHEN parsed
    const config = parse(['produce']) as ProduceConfig;
    // THEN every option has its documented default, and the start time is "now"
    expect(config).toStrictEqual({
      command: 'produce',
      seed: 1,
      workerId: 0,
      startTimeMs: NOW_MS,
      activeFlights: 2000,
      positionIntervalS: 60,
      count: 0,
      durationS: 0,
      rate: 0,
      workers: 1,
      bootstrapBrokers: ['127.0.0.1:9092'],
      topic: 'flight-events',
      clientId: 'flight-producer-w0',
      batchSize: 5000,
      lingerMs: 10,
      deliveryTimeoutMs: 120_000,
      maxInFlight: 5,
      compression: 'none',
      metricsPort: 0,
      metricsHost: '127.0.0.1',
      logFormat: 'text',
      security: { mode: 'plaintext', tlsCaFile: undefined, tlsCertFile: undefined, tlsKeyFile: undefined, awsRegion: undefined },
    });
  });

  it('reads every flag', () => {
    const config = parse([
      'produce',
      '--bootstrap', 'b1:9092,b2:19092',
      '--topic', 'flights.v1',
      '--count', '200000',
      '--duration-s', '30.5',
      '--rate', '5000',
      '--seed', '4294967295',
      '--worker-id', '7',
      '--start-time', '2026-01-01T00:00:00Z',
      '--active-flights', '100',
      '--position-interval-s', '15',
      '--batch-size', '500',
      '--linger-ms', '0',
      '--max-in-flight', '2',
      '--compression', 'zstd',
      '--client-id', 'bench-1',
      '--workers', '4',
    ]) as ProduceConfig;
    expect(config).toMatchObject({
      bootstrapBrokers: ['b1:9092', 'b2:19092'],
      topic: 'flights.v1',
      count: 200000,
      durationS: 30.5,
      rate: 5000,
      seed: 4294967295,
      workerId: 7,
      startTimeMs: Date.parse('2026-01-01T00:00:00Z'),
      activeFlights: 100,
      positionIntervalS: 15,
      batchSize: 500,
      lingerMs: 0,
      maxInFlight: 2,
      compression: 'zstd',
      clientId: 'bench-1',
      workers: 4,
    });
  });

  it('reads PRODUCER_* environment variables, and lets flags win over them', () => {
    // GIVEN the environment sets bootstrap, topic and rate, and the command line sets the rate too
    const env = { PRODUCER_BOOTSTRAP: 'kafka:9098', PRODUCER_TOPIC: 'from-env', PRODUCER_RATE: '10', PRODUCER_WORKER_ID: '3' };
    // WHEN parsed
    const config = parse(['produce', '--rate', '20'], env) as ProduceConfig;
    // THEN the environment fills what the flags leave out, and the flag wins for the rate
    expect(config).toMatchObject({ bootstrapBrokers: ['kafka:9098'], topic: 'from-env', rate: 20, workerId: 3, clientId: 'flight-producer-w3' });
  });

  it('names environment variables after their flag', () => {
    expect(envNameOf('duration-s')).toBe('PRODUCER_DURATION_S');
    expect(envNameOf('max-in-flight')).toBe('PRODUCER_MAX_IN_FLIGHT');
  });

  it('parses generate with an output path and accepts (ignores) the Kafka options', () => {
    const config = parse(['generate', '--count', '10', '--out', '/tmp/x.jsonl', '--bootstrap', 'k:9092']) as GenerateConfig;
    expect(config).toMatchObject({ command: 'generate', count: 10, out: '/tmp/x.jsonl' });
    expect(config).not.toHaveProperty('bootstrapBrokers');
    expect((parse(['generate', '--count', '1']) as GenerateConfig).out).toBe('-');
  });

  it('returns help for -h and --help', () => {
    expect(parse(['--help'])).toEqual({ command: 'help' });
    expect(parse(['produce', '-h'])).toEqual({ command: 'help' });
  });

  it.each([
    [['produce', '--rate', '-5'], '--rate: expected a number >= 0, got "-5"'],
    [['produce', '--rate=abc'], '--rate: expected a number >= 0, got "abc"'],
    [['produce', '--count', '1.5'], '--count: expected an integer >= 0, got "1.5"'],
    [['produce', '--seed', '4294967296'], '--seed: expected an integer between 0 and 4294967295, got "4294967296"'],
    [['produce', '--worker-id', '-1'], '--worker-id: expected an integer between 0 and 1000000, got "-1"'],
    [['produce', '--batch-size', '0'], '--batch-size: expected an integer between 1 and 1000000, got "0"'],
    [['produce', '--max-in-flight', 'many'], '--max-in-flight: expected an integer between 1 and 5 (the idempotent producer\'s limit), got "many"'],
    [['produce', '--max-in-flight', '6'], '--max-in-flight: expected an integer between 1 and 5 (the idempotent producer\'s limit), got "6"'],
    [['produce', '--seed', 'abc'], '--seed: expected an integer between 0 and 4294967295, got "abc"'],
    [['produce', '--seed', '-1'], '--seed: expected an integer between 0 and 4294967295, got "-1"'],
    [['produce', '--seed', '1e3'], '--seed: expected an integer between 0 and 4294967295, got "1e3"'],
    [['produce', '--workers', '0'], '--workers: expected an integer between 1 and 64, got "0"'],
    [['produce', '--workers', '65'], '--workers: expected an integer between 1 and 64, got "65"'],
    [['produce', '--metrics-port', '70000'], '--metrics-port: expected an integer between 0 and 65535, got "70000"'],
    [['produce', '--log-format', 'xml'], '--log-format: expected one of text|json, got "xml"'],
    [['produce', '--security', 'kerberos'], '--security: expected one of plaintext|tls|msk-iam, got "kerberos"'],
    [['produce', '--compression', 'LZ4'], '--compression: expected one of none|gzip|snappy|lz4|zstd, got "LZ4"'],
    [['produce', '--bootstrap', ''], '--bootstrap: expected host:port[,host:port...] with ports 1-65535, got ""'],
    [['produce', '--bootstrap', 'a:1,'], '--bootstrap: expected host:port[,host:port...] with ports 1-65535, got "a:1,"'],
    [['produce', '--bootstrap', 'a:0'], '--bootstrap: expected host:port[,host:port...] with ports 1-65535, got "a:0"'],
    [['produce', '--bootstrap', 'kafka:x9092'], '--bootstrap: expected host:port[,host:port...] with ports 1-65535, got "kafka:x9092"'],
    [['produce', '--position-interval-s', '0.5'], '--position-interval-s: expected a number between 1 and 3600, got "0.5"'],
    [['produce', '--rate', 'Infinity'], '--rate: expected a number >= 0, got "Infinity"'],
    [['produce', '--aws-region', 'Europe'], '--aws-region: expected an AWS region such as eu-west-1, got "Europe"'],
    [['produce', '--linger-ms', '-1'], '--linger-ms: expected a number between 0 and 60000, got "-1"'],
    [['produce', '--active-flights', '0'], '--active-flights: expected an integer between 1 and 10000000, got "0"'],
    [['produce', '--compression', 'brotli'], '--compression: expected one of none|gzip|snappy|lz4|zstd, got "brotli"'],
    [['produce', '--bootstrap', 'localhost'], '--bootstrap: expected host:port[,host:port...] with ports 1-65535, got "localhost"'],
    [['produce', '--bootstrap', 'a:1,b:70000'], '--bootstrap: expected host:port[,host:port...] with ports 1-65535, got "a:1,b:70000"'],
    [['produce', '--topic', 'bad topic'], '--topic: expected 1-249 characters of [A-Za-z0-9._-], got "bad topic"'],
    [['produce', '--start-time', '2026-13-45'], '--start-time: expected an ISO-8601 date-time with a time zone after 1970, e.g. 2026-01-01T00:00:00Z, got "2026-13-45"'],
    [['produce', '--start-time', '2026-01-01T00:00:00'], 'got "2026-01-01T00:00:00"'],
    [['produce', '--duration-s', 'soon'], '--duration-s: expected a number >= 0, got "soon"'],
  ])('rejects %j with a message naming the option, the value and what was expected', (argv, message) => {
    // GIVEN a bad value WHEN parsed THEN a ConfigError says which option, which value and what is allowed
    const error = errorOf(argv);
    expect(error.message).toContain(message);
    expect(error.option).toBe(message.startsWith('--') ? message.split(':')[0] : error.option);
  });

  it('names the environment variable when a bad value comes from the environment', () => {
    const error = errorOf(['produce'], { PRODUCER_RATE: 'fast' });
    expect(error.message).toBe('--rate (from PRODUCER_RATE): expected a number >= 0, got "fast"');
    expect(error.option).toBe('--rate');
  });

  it('rejects a missing or unknown sub-command, unknown options and stray arguments', () => {
    expect(errorOf([]).message).toMatch(/missing command: expected "produce", "generate" or "topics"/);
    expect(errorOf(['send']).message).toBe('unknown command "send": expected "produce", "generate" or "topics"');
    expect(errorOf(['produce', '--bogus', '1']).message).toMatch(/Unknown option '--bogus'/);
    expect(errorOf(['produce', 'extra']).message).toMatch(/unexpected argument "extra"/);
    expect(errorOf(['produce', '--rate']).message).toMatch(/--rate/);
  });

  it('requires a positive count for generate, and refuses --out for produce', () => {
    expect(errorOf(['generate']).message).toMatch(/^--count: expected an integer > 0 for "generate"/);
    expect(errorOf(['produce', '--out', 'x.jsonl']).message).toMatch(/^--out: only "generate" writes a file/);
  });

  it('parses topics with partitions, replication factor, topic configs and security, with defaults', () => {
    expect(parse(['topics'])).toStrictEqual({
      command: 'topics',
      bootstrapBrokers: ['127.0.0.1:9092'],
      topic: 'flight-events',
      clientId: 'flight-producer-topics',
      partitions: 6,
      replicationFactor: 1,
      topicConfigs: {},
      security: { mode: 'plaintext', tlsCaFile: undefined, tlsCertFile: undefined, tlsKeyFile: undefined, awsRegion: undefined },
    });
    expect(
      parse(['topics', '--topic', 'f', '--partitions', '48', '--replication-factor', '3', '--topic-config', 'retention.ms=86400000,min.insync.replicas=2']),
    ).toMatchObject({ topic: 'f', partitions: 48, replicationFactor: 3, topicConfigs: { 'retention.ms': '86400000', 'min.insync.replicas': '2' } });
  });

  it('rejects bad topics options, and topics options on other verbs', () => {
    expect(errorOf(['topics', '--partitions', '0']).message).toBe('--partitions: expected an integer between 1 and 100000, got "0"');
    expect(errorOf(['topics', '--topic-config', 'retention.ms']).message).toMatch(/--topic-config: expected key=value/);
    expect(errorOf(['produce', '--partitions', '6']).message).toBe('--partitions: only "topics" takes this option; got "6" for "produce"');
  });

  it('rejects a bad value of every option, from the command line and from its environment variable', () => {
    // GIVEN each option with a value no schema accepts (for "out", only blank is wrong)
    const options = Object.keys(OPTION_SCHEMAS).filter((name) => !['out', 'tls-ca-file', 'tls-cert-file', 'tls-key-file'].includes(name));
    expect(options.length).toBeGreaterThan(20);
    for (const name of options) {
      const verb = ['partitions', 'replication-factor', 'topic-config'].includes(name) ? 'topics' : 'produce';
      const bad = name === 'client-id' ? 'has space' : name === 'metrics-host' ? 'bad/host' : '-7.5%';
      // WHEN given as a flag, and as PRODUCER_<NAME>
      const fromFlag = errorOf([verb, `--${name}=${bad}`]);
      const fromEnv = errorOf([verb], { [envNameOf(name)]: bad });
      // THEN both name the option (and the variable), the value and what is expected
      expect(fromFlag.message).toBe(`--${name}: expected ${OPTION_SCHEMAS[name as keyof typeof OPTION_SCHEMAS].expected}, got "${bad}"`);
      expect(fromFlag.option).toBe(`--${name}`);
      expect(fromEnv.message).toBe(`--${name} (from ${envNameOf(name)}): expected ${OPTION_SCHEMAS[name as keyof typeof OPTION_SCHEMAS].expected}, got "${bad}"`);
    }
  });

  it('rejects an unreadable --tls-ca-file, naming the file and why', () => {
    const missing = (path: string): void => {
      throw Object.assign(new Error(`ENOENT: no such file or directory, access '${path}'`), { code: 'ENOENT' });
    };
    const error = (() => {
      try {
        parseProducerConfig(['produce', '--security', 'tls', '--tls-ca-file', '/nope/ca.pem'], {}, NOW_MS, missing);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.message).toBe('--tls-ca-file: expected a readable PEM file (ENOENT), got "/nope/ca.pem"');
    // and a readable one passes through
    const config = parseProducerConfig(['produce', '--security', 'tls', '--tls-ca-file', '/ok/ca.pem'], {}, NOW_MS, () => {}) as ProduceConfig;
    expect(config.security).toStrictEqual({ mode: 'tls', tlsCaFile: '/ok/ca.pem', tlsCertFile: undefined, tlsKeyFile: undefined, awsRegion: undefined });
  });

  it('exits 2 from the CLI with the message on stderr for bad values, before touching Kafka', () => {
    // GIVEN the real CLI, a bad value on the command line and another in the environment
    const cases: [string[], Record<string, string>, string][] = [
      [['produce', '--rate', '-5'], {}, 'error: --rate: expected a number >= 0, got "-5"'],
      [['produce'], { PRODUCER_COMPRESSION: 'brotli' }, 'error: --compression (from PRODUCER_COMPRESSION): expected one of none|gzip|snappy|lz4|zstd, got "brotli"'],
      [['produce', '--bootstrap', 'localhost'], {}, 'error: --bootstrap: expected host:port[,host:port...] with ports 1-65535, got "localhost"'],
      [['generate', '--count', '5', '--seed', 'x'], {}, 'error: --seed: expected an integer between 0 and 4294967295, got "x"'],
    ];
    for (const [argv, env, message] of cases) {
      // WHEN run
      const run = spawnSync(process.execPath, ['--import', TSX_LOADER, MAIN, ...argv], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
      // THEN it exits 2, says what is wrong on stderr and prints no result
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr.trim()).toBe(message);
      expect(run.stdout).toBe('');
    }
  }, 120_000);
});

