/**
 * Test fixture: a real single-node Kafka broker (local/embedded_kafka.py) on free 127.0.0.1 ports,
 * in a throw-away state directory. Every call is bounded in time.
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const PYTHON = join(REPO_ROOT, '.venv/bin/python');
const BROKER_CLI = join(REPO_ROOT, 'local/embedded_kafka.py');

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}

/**
 * `count` different TCP ports on 127.0.0.1 that nothing listens on right now. All are held open
 * until every one is chosen: two ports asked for one after the other, each closed before the next
 * is picked, can be the same port (it happened in CI: broker and controller both got 45191).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((listening, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => listening());
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (typeof address !== 'object' || !address) throw new Error('no port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((closed) => server.close(() => closed()))));
  }
}

export class EmbeddedKafka {
  private constructor(
    readonly stateDir: string,
    readonly port: number,
    readonly controllerPort: number,
  ) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts a broker and returns once it answers. */
  static async start(timeoutS = 150): Promise<EmbeddedKafka> {
    if (!existsSync(PYTHON) || !existsSync(BROKER_CLI)) {
      throw new Error(`the Kafka integration test needs ${PYTHON} and ${BROKER_CLI} (the local embedded broker)`);
    }
    const stateDir = await mkdtemp(join(tmpdir(), 'producer-it-kafka-'));
    const [port, controllerPort] = await freePorts(2);
    const kafka = new EmbeddedKafka(stateDir, port as number, controllerPort as number);
    await kafka.#cli(['start', '--timeout-s', String(timeoutS)], (timeoutS + 30) * 1000);
    return kafka;
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    await this.#cli(['create-topic', '--topic', topic, '--partitions', String(partitions)], 90_000);
  }

  /** Stops the broker and deletes its files. */
  async stop(): Promise<void> {
    try {
      await this.#cli(['stop'], 60_000);
    } finally {
      await rm(this.stateDir, { recursive: true, force: true });
    }
  }

  async #cli(args: string[], timeoutMs: number): Promise<string> {
    const fullArgs = ['-m', 'local.embedded_kafka', args[0] as string, '--state-dir', this.stateDir, '--port', String(this.port), '--controller-port', String(this.controllerPort), ...args.slice(1)];
    try {
      const { stdout } = await execFileAsync(PYTHON, fullArgs, { cwd: REPO_ROOT, timeout: timeoutMs, killSignal: 'SIGKILL' });
      return stdout;
    } catch (error) {
      const details = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`embedded_kafka ${args.join(' ')} failed: ${details.message}\n${details.stdout ?? ''}${details.stderr ?? ''}`);
    }
  }
}
