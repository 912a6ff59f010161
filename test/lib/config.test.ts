import { describe, expect, it } from 'vitest';
import { DEFAULT_QUARANTINE_EXPIRATION_DAYS, parseFlightAnalyticsConfig } from '../../lib/config.ts';
import { projectContext } from './fixtures.ts';

const valid = { envName: 'dev', targetEventsPerHour: 1_200_000_000, quarantineExpirationDays: 14 };

describe('parseFlightAnalyticsConfig', () => {
  it('returns the typed configuration for a valid object', () => {
    // GIVEN a complete, valid context value
    // WHEN it is parsed
    const config = parseFlightAnalyticsConfig(valid);
    // THEN every field comes through unchanged
    expect(config).toStrictEqual(valid);
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
    expect(config).toStrictEqual(valid);
  });

  it('accepts the configuration checked into cdk.json', () => {
    // GIVEN the project's cdk.json
    // WHEN its flightAnalytics block is parsed
    // THEN it is valid and names the dev environment
    expect(parseFlightAnalyticsConfig(projectContext()['flightAnalytics']).envName).toBe('dev');
  });

  it.each([
    ['targetEventsPerHour', -1, 'flightAnalytics.targetEventsPerHour: expected a number > 0, got -1'],
    ['targetEventsPerHour', 0, 'flightAnalytics.targetEventsPerHour: expected a number > 0, got 0'],
    ['targetEventsPerHour', '1200000000', 'flightAnalytics.targetEventsPerHour: expected a number > 0, got "1200000000" (a string)'],
    ['targetEventsPerHour', Number.POSITIVE_INFINITY, 'flightAnalytics.targetEventsPerHour: expected a number > 0, got Infinity'],
    ['targetEventsPerHour', undefined, 'flightAnalytics.targetEventsPerHour: expected a number > 0, got nothing (the key is missing)'],
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
    const raw = { ...valid, targetEventPerHour: 5 };
    // WHEN it is parsed
    // THEN the error names the unknown key and lists the known ones
    expect(() => parseFlightAnalyticsConfig(raw)).toThrow(
      'flightAnalytics: unknown key(s) "targetEventPerHour"; expected only envName, targetEventsPerHour, quarantineExpirationDays',
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
});
