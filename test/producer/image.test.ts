/**
 * The producer image: its Dockerfile's base matches versions.json (no Docker engine here, so the
 * Dockerfile is checked as text), and the esbuild bundle it ships runs against a real broker.
 */

import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedKafka, REPO_ROOT } from './embedded-kafka.ts';

const execFileAsync = promisify(execFile);
const BUNDLE = join(REPO_ROOT, 'producer/dist/producer.mjs');

describe('producer/Dockerfile', () => {
  it('builds FROM versions.json images.nodeBase in every stage, runs as a non-root user and ships only the bundle', async () => {
    // GIVEN the Dockerfile and versions.json
    const dockerfile = await readFile(join(REPO_ROOT, 'producer/Dockerfile'), 'utf8');
    const versions = JSON.parse(await readFile(join(REPO_ROOT, 'versions.json'), 'utf8')) as { images: { nodeBase: string } };
    const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+\s/.test(line));
    // THEN every stage starts from the pinned base
    const froms = instructions.filter((line) => line.startsWith('FROM ')).map((line) => line.split(/\s+/)[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toBe(versions.images.nodeBase);
    // AND the final stage switches to a non-root user and copies only build output, no node_modules install
    const finalStage = instructions.slice(instructions.lastIndexOf(instructions.filter((l) => l.startsWith('FROM ')).at(-1) as string));
    const user = finalStage.find((line) => line.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user?.split(/\s+/)[1]).not.toMatch(/^(root|0)$/);
    expect(finalStage.some((line) => /npm (ci|install)/.test(line))).toBe(false);
    expect(finalStage.filter((line) => line.startsWith('COPY ')).every((line) => line.includes('--from=build'))).toBe(true);
    expect(finalStage.find((line) => line.startsWith('ENTRYPOINT '))).toContain('/app/producer.mjs');
  });
});

describe('the esbuild bundle against a real broker', () => {
  let kafka: EmbeddedKafka;
  beforeAll(async () => {
    // The bundle, built as the Dockerfile builds it (the test runs the bundle, not the TS sources).
    await execFileAsync(process.execPath, [join(REPO_ROOT, 'producer/build.mjs')], { cwd: REPO_ROOT, timeout: 120_000 });
    kafka = await EmbeddedKafka.start();
  }, 300_000);
  afterAll(async () => {
    await kafka?.stop();
  }, 90_000);

  function runBundle(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      // Started from another directory, with the bundle alone on the command line, as in the image.
      const child = spawn(process.execPath, [BUNDLE, ...args], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`bundle ${args.join(' ')} timed out; stderr:\n${stderr}`));
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('creates the topic, then produces with lz4 on two worker threads exactly what it generates', async () => {
    // WHEN the bundle creates a topic and produces to it (lz4 exercises the inlined wasm)
    const topics = await runBundle(['topics', '--bootstrap', kafka.bootstrap, '--topic', 'bundle-it', '--partitions', '3']);
    const stream = ['--count', '3000', '--seed', '21', '--workers', '2', '--start-time', '2026-07-01T00:00:00Z'];
    const produced = await runBundle(['produce', '--bootstrap', kafka.bootstrap, '--topic', 'bundle-it', '--compression', 'lz4', ...stream]);
    const generated = await runBundle(['generate', ...stream]);
    // THEN all succeed, and the bytes acknowledged equal the bytes generated
    expect(topics.code, topics.stderr).toBe(0);
    expect(produced.code, produced.stderr).toBe(0);
    expect(generated.code, generated.stderr).toBe(0);
    const result = JSON.parse(/^PRODUCER_RESULT (.*)$/m.exec(produced.stdout)?.[1] ?? '{}') as Record<string, number>;
    expect(result).toMatchObject({ sent: 3000, acked: 3000, errors: 0 });
    const lines = generated.stdout.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(3000);
    expect(result['bytes']).toBe(lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0));
  }, 240_000);
});
