import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JMX_EXPORTER_JAR, MAIN_APPLICATION_FILE } from '../../k8s/index.ts';
import { versions } from '../../deploy/versions.ts';

// No Docker engine here: the Dockerfile is checked as text against what the SparkApplication expects.
const dockerfile = readFileSync(new URL('../../spark-jobs/Dockerfile', import.meta.url), 'utf8');

/** Destination paths of every COPY into the runtime image. */
function copiedPaths(): string[] {
  return [...dockerfile.matchAll(/^COPY\s+(?:--from=\S+\s+)?\S+\s+(\S+)\s*$/gm)].map((m) => m[1] ?? '');
}

describe('the Spark image holds what the SparkApplication points at', () => {
  it('builds on the official image of versions.json', () => {
    expect(dockerfile).toMatch(new RegExp(`^FROM ${versions.images.spark.replaceAll('.', '\\.')} AS base$`, 'm'));
  });

  it('ships the main application file', () => {
    expect(copiedPaths()).toContain(MAIN_APPLICATION_FILE.replace('local://', ''));
  });

  it('ships the JMX exporter agent that monitoring.prometheus starts', () => {
    expect(copiedPaths()).toContain(JMX_EXPORTER_JAR);
  });

  it('runs as the unprivileged spark user, not root', () => {
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('185');
  });
});
