/**
 * The deployment's configuration, read from the CDK context key `flightAnalytics` (see cdk.json).
 *
 * Only bin/ calls `parseFlightAnalyticsConfig`; constructs receive the parsed, typed values as props.
 */

/** The CDK context key that holds the configuration object. */
export const CONFIG_CONTEXT_KEY = 'flightAnalytics';

/** Default number of days objects under `quarantine/` are kept before S3 deletes them. */
export const DEFAULT_QUARANTINE_EXPIRATION_DAYS = 30;

/** A validated configuration. Every field is present; defaults have been applied. */
export interface FlightAnalyticsConfig {
  /**
   * Short name of the environment, e.g. `dev` or `prod`. It becomes part of the stack name and tags,
   * and later of Kubernetes and AWS resource names, so it is lowercase letters, digits and hyphens,
   * starts with a letter, and is at most 20 characters long.
   */
  readonly envName: string;
  /**
   * The sustained ingest rate the deployment is sized for, in flight events per hour (> 0).
   * 1,200,000,000 per hour is about 333,000 events per second.
   */
  readonly targetEventsPerHour: number;
  /**
   * Days S3 keeps events the Spark job could not parse (under `quarantine/`) before deleting them.
   * A whole number >= 1.
   * @default 30
   */
  readonly quarantineExpirationDays: number;
}

const ENV_NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const KNOWN_KEYS: ReadonlySet<string> = new Set(['envName', 'targetEventsPerHour', 'quarantineExpirationDays']);

/**
 * Validates the raw context value and returns a typed configuration.
 *
 * `raw` is what `app.node.tryGetContext('flightAnalytics')` returns: normally the object from cdk.json,
 * or a JSON string when given on the command line (`cdk synth -c flightAnalytics='{"envName":"prod",...}'`).
 *
 * @throws Error naming the context key, the bad value and what was expected.
 */
export function parseFlightAnalyticsConfig(raw: unknown): FlightAnalyticsConfig {
  const record = asRecord(raw);

  const unknownKeys = Object.keys(record).filter((key) => !KNOWN_KEYS.has(key));
  if (unknownKeys.length > 0) {
    throw new Error(
      `${CONFIG_CONTEXT_KEY}: unknown key(s) ${unknownKeys.map((key) => JSON.stringify(key)).join(', ')}; ` +
        `expected only ${[...KNOWN_KEYS].join(', ')} (is one of them misspelt?)`,
    );
  }

  const envName = record['envName'];
  if (typeof envName !== 'string' || !ENV_NAME_PATTERN.test(envName)) {
    throw invalid(
      'envName',
      'a string of 1-20 lowercase letters, digits or hyphens that starts with a letter (e.g. "dev")',
      envName,
    );
  }

  const targetEventsPerHour = record['targetEventsPerHour'];
  if (typeof targetEventsPerHour !== 'number' || !Number.isFinite(targetEventsPerHour) || targetEventsPerHour <= 0) {
    throw invalid('targetEventsPerHour', 'a number > 0', targetEventsPerHour);
  }

  // Only a missing key takes the default; an explicit null is more likely a mistake than a request for it.
  const quarantineExpirationDays =
    record['quarantineExpirationDays'] === undefined ? DEFAULT_QUARANTINE_EXPIRATION_DAYS : record['quarantineExpirationDays'];
  if (typeof quarantineExpirationDays !== 'number' || !Number.isInteger(quarantineExpirationDays) || quarantineExpirationDays < 1) {
    throw invalid('quarantineExpirationDays', 'a whole number of days >= 1', quarantineExpirationDays);
  }

  return { envName, targetEventsPerHour, quarantineExpirationDays };
}

function asRecord(raw: unknown): Record<string, unknown> {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new Error(`${CONFIG_CONTEXT_KEY}: expected an object (or its JSON text), got ${describe(raw)}, which is not valid JSON`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `${CONFIG_CONTEXT_KEY}: expected an object such as {"envName": "dev", "targetEventsPerHour": 1200000000}, ` +
        `got ${describe(raw)}. Set it under "context" in cdk.json or pass -c ${CONFIG_CONTEXT_KEY}='{...}'`,
    );
  }
  return value as Record<string, unknown>;
}

function invalid(key: string, expected: string, got: unknown): Error {
  return new Error(`${CONFIG_CONTEXT_KEY}.${key}: expected ${expected}, got ${describe(got)}`);
}

/** Renders a bad value so that `-1`, `"-1"`, `null` and a missing value look different in the message. */
function describe(value: unknown): string {
  if (value === undefined) {
    return 'nothing (the key is missing)';
  }
  if (typeof value === 'number') {
    return String(value);
  }
  if (typeof value === 'string') {
    return `${JSON.stringify(value)} (a string)`;
  }
  return JSON.stringify(value) ?? String(value);
}
