import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUARANTINE_EXPIRATION_DAYS,
  parseFlightAnalyticsConfig as parseWithPlan,
  parseKafkaChoice,
  plannedSizing,
} from '../../deploy/config.ts';
import { FLIGHT_EVENTS_TOPIC, SPARK_CONSUMER_GROUP } from '../../deploy/names.ts';
import { projectContext, testPlan } from './fixtures.ts';

const plan = testPlan();
const parseFlightAnalyticsConfig = (raw: unknown) => parseWithPlan(raw, plan);
const valid = { envName: 'dev', quarantineExpirationDays: 14 };
/** `valid` after parsing: the optional keys take their defaults. */
const parsedValid = {
  ...valid,
  topicName: FLIGHT_EVENTS_TOPIC,
  sparkConsumerGroup: SPARK_CONSUMER_GROUP,
  ...plannedSizing(plan),
};
const DEFAULT_NODE_GROUPS = plannedSizing(plan).nodeGroups;

describe('parseFlightAnalyticsConfig', () => {
  it('returns the typed configuration for a valid object', () => {
    // GIVEN a complete, valid context value
    // WHEN it is parsed
    const config = parseFlightAnalyticsConfig(valid);
    // THEN every field comes through unchanged, and the sizes are the plan's
    expect(config).toStrictEqual(parsedValid);
  });

  it('defaults quarantineExpirationDays when it is absent', () => {
    // GIVEN a context value without quarantineExpirationDays
    const { quarantineExpirationDays: _omitted, ...withoutQuarantine } = valid;
    // WHEN it is parsed
    const config = parseFlightAnalyticsConfig(withoutQuarantine);
    // THEN the documented default applies
    expect(config.quarantineExpirationDays).toBe(DEFAULT_QUARANTINE_EXPIRATION_DAYS);
  });

  it('accepts the object as JSON text, as `cdk synth -c flightAnalytics=...` passes it', () => {
    // GIVEN the configuration as a JSON string
    // WHEN it is parsed
    const config = parseFlightAnalyticsConfig(JSON.stringify(valid));
    // THEN it equals the parsed object
    expect(config).toStrictEqual(parsedValid);
  });

  it('accepts the configuration checked into cdk.json', () => {
    // GIVEN the project's cdk.json
    // WHEN its flightAnalytics block is parsed
    // THEN it is valid and names the dev environment
    expect(parseFlightAnalyticsConfig(projectContext()['flightAnalytics']).envName).toBe('dev');
  });

  it.each([
    ['envName', '', 'flightAnalytics.envName: expected a string of 1-20 lowercase letters, digits or hyphens that starts with a letter (e.g. "dev"), got "" (a string)'],
    ['envName', 'Prod', 'flightAnalytics.envName: expected a string of 1-20 lowercase letters, digits or hyphens that starts with a letter (e.g. "dev"), got "Prod" (a string)'],
    ['envName', 'a-very-long-environment-name', 'got "a-very-long-environment-name" (a string)'],
    ['envName', 42, 'flightAnalytics.envName: expected a string of 1-20 lowercase letters, digits or hyphens that starts with a letter (e.g. "dev"), got 42'],
    ['envName', undefined, 'flightAnalytics.envName: expected a string of 1-20 lowercase letters, digits or hyphens that starts with a letter (e.g. "dev"), got nothing (the key is missing)'],
    ['quarantineExpirationDays', 0, 'flightAnalytics.quarantineExpirationDays: expected a whole number of days >= 1, got 0'],
    ['quarantineExpirationDays', 1.5, 'flightAnalytics.quarantineExpirationDays: expected a whole number of days >= 1, got 1.5'],
    ['quarantineExpirationDays', null, 'flightAnalytics.quarantineExpirationDays: expected a whole number of days >= 1, got null'],
  ])('throws naming %s when it is %j', (key, value, message) => {
    // GIVEN a valid configuration with one bad value
    const raw = { ...valid, [key]: value };
    // WHEN it is parsed
    // THEN the error names the key and shows the value
    expect(() => parseFlightAnalyticsConfig(raw)).toThrow(message);
  });

  it('throws naming an unknown key, so a misspelt key is not silently ignored', () => {
    // GIVEN a configuration with a typo in a key
    const raw = { ...valid, quarantineExpirationDay: 5 };
    // WHEN it is parsed
    // THEN the error names the unknown key and lists the known ones
    expect(() => parseFlightAnalyticsConfig(raw)).toThrow(
      'flightAnalytics: unknown key(s) "quarantineExpirationDay"; expected only envName, quarantineExpirationDays, adminRoleArn, topicName',
    );
  });

  it('says where the target rate is set now when the context still has targetEventsPerHour', () => {
    // GIVEN a configuration written before the rate moved to the plan inputs
    const raw = { ...valid, targetEventsPerHour: 1_200_000_000 };
    // WHEN it is parsed THEN the error names the key and the file that holds the rate
    expect(() => parseFlightAnalyticsConfig(raw)).toThrow(
      'flightAnalytics.targetEventsPerHour: no longer configured here; the target rate is a capacity plan input: set it in deploy/plan-inputs.json',
    );
  });

  it.each([
    [undefined, 'nothing (the key is missing)'],
    [[], '[]'],
    [7, '7'],
  ])('throws when the context value is %j instead of an object', (raw, shown) => {
    // GIVEN a context value that is not an object
    // WHEN it is parsed
    // THEN the error names the context key, shows the value and says where to set it
    expect(() => parseFlightAnalyticsConfig(raw)).toThrow(`flightAnalytics: expected an object such as`);
    expect(() => parseFlightAnalyticsConfig(raw)).toThrow(`got ${shown}. Set it under "context" in cdk.json`);
  });

  it('throws when the context value is text that is not JSON', () => {
    // GIVEN a command-line context value that is not JSON
    // WHEN it is parsed
    // THEN the error names the context key and the text
    expect(() => parseFlightAnalyticsConfig('envName=prod')).toThrow(
      'flightAnalytics: expected an object (or its JSON text), got "envName=prod" (a string), which is not valid JSON',
    );
  });

  it('sizes node groups and brokers from the capacity plan it is given', () => {
    // GIVEN the plan for a small target rate
    const config = parseWithPlan(valid, testPlan({ targetEventsPerHour: 1_000_000 }));
    // THEN the plan's (smaller) sizes are the defaults
    expect(config.kafka.brokerCount).toBe(3);
    // AND small brokers need no provisioned storage throughput
    expect(config.kafka.provisionedThroughputMibPerSecond).toBeUndefined();
    expect(config.nodeGroups.sparkExecutors.desiredSize).toBeLessThan(DEFAULT_NODE_GROUPS.sparkExecutors.desiredSize);
  });

  it('provisions the storage throughput the default plan counts on', () => {
    // GIVEN the 1.2 B/h plan, which serves the target with kafka.m7g.2xlarge brokers at their maximum
    const config = parseFlightAnalyticsConfig(valid);
    expect(config.kafka.brokerInstanceType).toBe('kafka.m7g.2xlarge');
    expect(config.kafka.provisionedThroughputMibPerSecond).toBe(312.5);
  });

  it('merges a partial node group over its defaults', () => {
    // GIVEN only the executor count is overridden
    const config = parseFlightAnalyticsConfig({ ...valid, nodeGroups: { sparkExecutors: { desiredSize: 9, maxSize: 9 } } });
    // THEN that group keeps its default instance type, and the other groups keep their defaults
    expect(config.nodeGroups.sparkExecutors).toStrictEqual({ ...DEFAULT_NODE_GROUPS.sparkExecutors, desiredSize: 9, maxSize: 9 });
    expect(config.nodeGroups.system).toStrictEqual(DEFAULT_NODE_GROUPS.system);
  });

  it.each([
    [{ kafka: { brokerCount: 4 } }, 'flightAnalytics.kafka.brokerCount: expected a multiple of 3'],
    [{ kafka: { brokerInstanceType: 'm7g.large' } }, 'flightAnalytics.kafka.brokerInstanceType: expected an MSK broker type'],
    [{ kafka: { provisionedThroughputMibPerSecond: 100 } }, 'flightAnalytics.kafka.provisionedThroughputMibPerSecond: expected MiB/s per broker volume, at least 250'],
    [{ nodeGroups: { producers: { desiredSize: 0 } } }, 'flightAnalytics.nodeGroups.producers.desiredSize: expected a whole number of nodes >= 1, got 0'],
    [{ nodeGroups: { producers: { maxSize: 1 } } }, 'flightAnalytics.nodeGroups.producers.maxSize: expected a whole number of nodes >= desiredSize (6), got 1'],
    [{ nodeGroups: { gpu: {} } }, 'flightAnalytics.nodeGroups: expected only the groups system, producers, sparkDrivers, sparkExecutors'],
    [{ adminRoleArn: 'arn:aws:iam::123:user/me' }, 'flightAnalytics.adminRoleArn: expected an IAM role ARN'],
    [{ topicName: 'flight-*' }, 'flightAnalytics.topicName: expected 1-249 letters'],
  ])('throws naming the nested key for %j', (override, message) => {
    // GIVEN an otherwise valid configuration with one bad nested value
    // WHEN it is parsed THEN the error names the full key path
    expect(() => parseFlightAnalyticsConfig({ ...valid, ...override })).toThrow(message);
  });
});

describe('parseKafkaChoice (the `kafka` context key)', () => {
  it('defaults to msk and accepts msk and strimzi', () => {
    expect(parseKafkaChoice(undefined)).toBe('msk');
    expect(parseKafkaChoice('msk')).toBe('msk');
    expect(parseKafkaChoice('strimzi')).toBe('strimzi');
  });

  it.each([
    ['kafak', '"kafak" (a string)'],
    ['MSK', '"MSK" (a string)'],
    [3, '3'],
  ])('throws naming the key and the value for %j', (raw, shown) => {
    expect(() => parseKafkaChoice(raw)).toThrow(
      `kafka: expected "msk" (Amazon MSK, the default) or "strimzi" (Kafka on the EKS nodes with the Strimzi operator), got ${shown}. Set it with -c kafka=strimzi`,
    );
  });

  it('is msk in cdk.json', () => {
    expect(parseKafkaChoice(projectContext()['kafka'])).toBe('msk');
  });
});
