/**
 * Runs a project CLI (`npx cdk ...`, `npx cdk8s ...`) the way a user would from a fresh clone.
 */
import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { projectRoot } from './fixtures.ts';

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of a machine with no AWS set-up: no AWS_* variables (no credentials, profile or
 * region) and no CDK_DEFAULT_ACCOUNT/REGION, with the project's Node 24 first on PATH.
 */
export function credentialFreeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_') && !name.startsWith('CDK_DEFAULT_')) {
      env[name] = value;
    }
  }
  env['PATH'] = [join(projectRoot, 'node_modules', '.bin'), process.env['PATH'] ?? ''].join(delimiter);
  return { ...env, ...extra };
}

/** Runs `npx <args>` in the project root and resolves with its exit code and output (never rejects on exit code). */
export function runNpx(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile('npx', [...args], { cwd: projectRoot, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error); // npx itself could not be started
        return;
      }
      resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}
