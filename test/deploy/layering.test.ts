/**
 * Values flow one way: deploy/ (what to deploy: plan, versions, names) sits below both lib/ (CDK)
 * and k8s/ (cdk8s). k8s/ never imports lib/, and deploy/ imports neither, so the charts can be
 * synthesised without CDK and the names cannot be redefined on one side.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Every import specifier of every .ts file under `folder` (generated CRD types excluded), with its file. */
function imports(folder: string): { file: string; specifier: string }[] {
  const found: { file: string; specifier: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'imports') walk(path);
      } else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
          found.push({ file: relative(projectRoot, path), specifier: match[1]! });
        }
      }
    }
  };
  walk(join(projectRoot, folder));
  return found;
}

describe('the layers of the deployment code', () => {
  it('k8s/ imports deploy/ but never lib/ or aws-cdk-lib', () => {
    const k8s = imports('k8s');
    expect(k8s.some(({ specifier }) => specifier.startsWith('../deploy/'))).toBe(true);
    expect(k8s.filter(({ specifier }) => specifier.startsWith('../lib/') || specifier.startsWith('aws-cdk-lib'))).toStrictEqual([]);
  });

  it('deploy/ imports neither lib/ nor k8s/, nor CDK or cdk8s', () => {
    const deploy = imports('deploy');
    expect(deploy.length).toBeGreaterThan(0);
    expect(deploy.filter(({ specifier }) => /^\.\.\/(lib|k8s)\/|^aws-cdk-lib|^cdk8s/.test(specifier))).toStrictEqual([]);
  });
});
