import { describe, expect, it } from 'vitest';
import { parseProducerConfig, type ProduceConfig } from '../../producer/src/config.ts';
import { splitAcrossWorkers } from '../../producer/src/workers.ts';

function produceConfig(args: string[]): ProduceConfig {
  return parseProducerConfig(['produce', ...args], {}, Date.parse('2026-05-01T00:00:00Z')) as ProduceConfig;
}

describe('splitAcrossWorkers', () => {
  it('gives each worker its own worker id and client id, an even share of the count and of the rate', () => {
    // GIVEN 10 events at 900/s on three workers from worker id 4
    const shares = splitAcrossWorkers(produceConfig(['--count', '10', '--rate', '900', '--workers', '3', '--worker-id', '4']));
    // THEN the shares add up, and nothing collides
    expect(shares.map((s) => [s.workerId, s.count, s.rate, s.workers, s.clientId])).toStrictEqual([
      [4, 4, 300, 1, 'flight-producer-w4-t0'],
      [5, 3, 300, 1, 'flight-producer-w4-t1'],
      [6, 3, 300, 1, 'flight-producer-w4-t2'],
    ]);
  });

  it('keeps an unbounded run unbounded on every worker, and leaves out workers with no share of a tiny count', () => {
    expect(splitAcrossWorkers(produceConfig(['--workers', '2'])).map((s) => s.count)).toStrictEqual([0, 0]);
    expect(splitAcrossWorkers(produceConfig(['--workers', '4', '--count', '2'])).map((s) => [s.workerId, s.count])).toStrictEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('returns the config itself for one worker', () => {
    const config = produceConfig(['--count', '5']);
    expect(splitAcrossWorkers(config)).toStrictEqual([config]);
  });

  it('rejects --workers outside 1..64, naming the option', () => {
    expect(() => produceConfig(['--workers', '0'])).toThrow(/--workers: expected an integer between 1 and 64, got "0"/);
    expect(() => produceConfig(['--workers', '65'])).toThrow(/--workers/);
  });
});
