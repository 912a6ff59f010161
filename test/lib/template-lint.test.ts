/**
 * Linters that know AWS's rules, run on freshly synthesised templates (one per Kafka choice):
 * - cfn-lint: no errors (warnings are printed, not failed);
 * - checkov: no failed check. checkov only grades severities with a Prisma Cloud API key, so every
 *   failure counts, whatever its severity. A check that does not apply is skipped on its resource with
 *   a written reason (acknowledgeCheckovFindings in lib/), and each skip must hide a real failure.
 * The committed report, docs/checkov-report.md, must equal what checkov says now; regenerate it with
 * `UPDATE_CHECKOV_REPORT=1 npx vitest run test/lib/template-lint.test.ts`.
 *
 * Both linters come from test/lint/requirements.txt, installed into .venv-lint by `make setup`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, synthesizedProject, type KafkaChoiceForTest } from './fixtures.ts';

const run = promisify(execFile);
const LINT_BIN = join(projectRoot, '.venv-lint', 'bin');
const REPORT_FILE = join(projectRoot, 'docs', 'checkov-report.md');
const LINT_TIMEOUT_MS = 300_000;
const KAFKA_CHOICES: readonly KafkaChoiceForTest[] = ['msk', 'strimzi'];

function requireLinter(name: string): string {
  const path = join(LINT_BIN, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`make setup\` (it installs test/lint/requirements.txt into .venv-lint)`);
  }
  return path;
}

/** Runs a linter and returns its stdout whatever the exit code (both exit non-zero on findings). */
async function runLinter(name: string, args: string[]): Promise<string> {
  try {
    return (await run(requireLinter(name), args, { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, BC_SKIP_MAPPING: 'TRUE' } })).stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: unknown };
    if (typeof e.stdout === 'string' && e.stdout.trim() !== '') return e.stdout;
    throw new Error(`${name} failed (exit ${String(e.code)}): ${e.stderr ?? String(error)}`);
  }
}

/** One template file per Kafka choice, as `cdk synth` writes it, in a fresh directory. */
function writeTemplates(transform: (template: any) => any = (template) => template): string {
  const dir = mkdtempSync(join(tmpdir(), 'flight-templates-'));
  for (const kafka of KAFKA_CHOICES) {
    const template = JSON.parse(synthesizedProject(kafka).templateJson);
    writeFileSync(join(dir, `FlightAnalytics-${kafka}.template.json`), JSON.stringify(transform(template), undefined, 1));
  }
  return dir;
}

interface CheckovCheck {
  readonly check_id: string;
  readonly check_name: string;
  readonly resource: string;
  readonly file_path: string;
  readonly check_result: { readonly result: string; readonly suppress_comment?: string };
}

interface CheckovReport {
  readonly summary: { passed: number; failed: number; skipped: number; parsing_errors: number; checkov_version: string };
  readonly results: { passed_checks: CheckovCheck[]; failed_checks: CheckovCheck[]; skipped_checks: CheckovCheck[] };
}

async function checkov(dir: string): Promise<CheckovReport> {
  const output = await runLinter('checkov', ['--directory', dir, '--framework', 'cloudformation', '--output', 'json', '--compact', '--skip-download']);
  const parsed = JSON.parse(output) as CheckovReport | CheckovReport[];
  return Array.isArray(parsed) ? parsed[0]! : parsed;
}

const templateOf = (check: CheckovCheck): string => check.file_path.replace(/^.*\//, '').replace(/\.template\.json$/, '');
const key = (check: CheckovCheck): string => `${templateOf(check)} ${check.resource} ${check.check_id}`;

/** docs/checkov-report.md as it should read for this checkov run. */
function renderReport(report: CheckovReport): string {
  const templates = [...new Set(KAFKA_CHOICES.map((kafka) => `FlightAnalytics-${kafka}`))];
  const count = (checks: CheckovCheck[], template: string): number => checks.filter((check) => templateOf(check) === template).length;
  const skipped = [...report.results.skipped_checks].sort((a, b) => key(a).localeCompare(key(b)));
  return [
    '# checkov report',
    '',
    `checkov ${report.summary.checkov_version} (pinned in \`test/lint/requirements.txt\`), framework \`cloudformation\`, on the templates`,
    'the stack synthesises with `-c kafka=msk` (the default) and `-c kafka=strimzi`. Generated and checked by',
    '`test/lib/template-lint.test.ts` (part of `make test`); regenerate with',
    '`UPDATE_CHECKOV_REPORT=1 npx vitest run test/lib/template-lint.test.ts`.',
    '',
    'checkov grades severities (LOW to CRITICAL) only with a Prisma Cloud API key, so the gate is stricter than',
    '"no failed HIGH": **no check may fail at all**. A check that does not apply is skipped on that one resource,',
    'with the reason written next to the construct in `lib/` (`acknowledgeCheckovFindings`), and the test proves',
    'that each skip hides a real failure.',
    '',
    '| template | passed | failed | skipped with a reason |',
    '| --- | ---: | ---: | ---: |',
    ...templates.map(
      (template) =>
        `| \`${template}\` | ${count(report.results.passed_checks, template)} | ${count(report.results.failed_checks, template)} | ${count(report.results.skipped_checks, template)} |`,
    ),
    '',
    '## Skipped checks',
    '',
    '| template | resource | check | reason |',
    '| --- | --- | --- | --- |',
    ...skipped.map((check) => `| ${templateOf(check)} | \`${check.resource}\` | ${check.check_id} ${check.check_name} | ${(check.check_result.suppress_comment ?? '').replace(/\|/g, '\\|')} |`),
    '',
  ].join('\n');
}

/** The template without checkov skips: what checkov would fail if nothing were acknowledged. */
function withoutCheckovSkips(template: any): any {
  for (const resource of Object.values(template.Resources ?? {}) as any[]) {
    if (resource.Metadata) delete resource.Metadata.checkov;
  }
  return template;
}

describe('synthesised templates pass cfn-lint and checkov', () => {
  let templatesDir: string;
  beforeAll(() => {
    templatesDir = writeTemplates();
  }, LINT_TIMEOUT_MS);

  it(
    'cfn-lint reports no errors on any template',
    async () => {
      // GIVEN each template WHEN cfn-lint checks it
      const files = KAFKA_CHOICES.map((kafka) => join(templatesDir, `FlightAnalytics-${kafka}.template.json`));
      const matches = JSON.parse(await runLinter('cfn-lint', ['--format', 'json', '--', ...files])) as {
        Level: string;
        Rule: { Id: string };
        Message: string;
        Filename: string;
      }[];
      // THEN nothing is an error (warnings are shown for the reader)
      const warnings = matches.filter((match) => match.Level !== 'Error').map((match) => match.Rule.Id);
      console.info(`cfn-lint on ${files.length} templates: ${matches.length - warnings.length} errors, warnings ${JSON.stringify(warnings)}`);
      expect(matches.filter((match) => match.Level === 'Error').map((match) => `${match.Filename}: ${match.Rule.Id} ${match.Message}`)).toStrictEqual([]);
    },
    LINT_TIMEOUT_MS,
  );

  it(
    'checkov fails no check, every skip hides a real failure, and the committed report is current',
    async () => {
      // GIVEN the templates as synthesised, and the same templates without their checkov skips
      const strippedDir = writeTemplates(withoutCheckovSkips);
      // WHEN checkov checks both
      const [report, unskipped] = await Promise.all([checkov(templatesDir), checkov(strippedDir)]);
      // THEN it parsed every template and nothing fails
      expect(report.summary.parsing_errors).toBe(0);
      expect(report.summary.passed).toBeGreaterThan(100);
      expect(report.results.failed_checks.map((check) => `${key(check)} ${check.check_name}`)).toStrictEqual([]);
      // AND every skip has a reason and, without it, the same check would fail on the same resource
      for (const check of report.results.skipped_checks) expect(check.check_result.suppress_comment ?? '', key(check)).toMatch(/(\S+\s+){4,}/);
      expect(report.results.skipped_checks.map(key).sort()).toStrictEqual(unskipped.results.failed_checks.map(key).sort());
      // AND docs/checkov-report.md says exactly this
      const rendered = renderReport(report);
      if (process.env['UPDATE_CHECKOV_REPORT'] === '1') {
        mkdirSync(join(projectRoot, 'docs'), { recursive: true });
        writeFileSync(REPORT_FILE, rendered);
      }
      expect(existsSync(REPORT_FILE) ? readFileSync(REPORT_FILE, 'utf8') : '(missing)', 'docs/checkov-report.md is stale: UPDATE_CHECKOV_REPORT=1 npx vitest run test/lib/template-lint.test.ts').toBe(rendered);
    },
    LINT_TIMEOUT_MS,
  );
});
