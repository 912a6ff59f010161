/**
 * The container images the cluster runs, built from this repository at deploy time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IgnoreMode } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import { Construct } from 'constructs';
import { versions } from '../deploy/versions.ts';

/** The repository root: the images are built with it as their Docker build context. */
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Where one image is built from. */
export interface ImageBuild {
  /** Docker build context, absolute or relative to the repository root. */
  readonly directory: string;
  /**
   * Dockerfile, relative to `directory`. When `<file>.dockerignore` exists next to it, its patterns
   * decide what goes into the build context (and into the asset hash), as BuildKit does.
   * @default 'Dockerfile'
   */
  readonly file?: string;
  /**
   * Patterns (.dockerignore syntax) of what to leave out of the build context, used when there is no
   * `<file>.dockerignore`.
   * @default - nothing is left out
   */
  readonly exclude?: readonly string[];
  /** `--build-arg`s. @default - none */
  readonly buildArgs?: Readonly<Record<string, string>>;
}

/** The producer image: built from the repository root; producer/Dockerfile.dockerignore picks the context. */
export const PRODUCER_IMAGE_BUILD: ImageBuild = { directory: '.', file: 'producer/Dockerfile' };

/**
 * The Spark job image: built from the repository root (it needs schema/), with the Spark and Scala
 * versions from versions.json as build args, and only spark-jobs/ and schema/ in the context.
 */
export const SPARK_JOB_IMAGE_BUILD: ImageBuild = {
  directory: '.',
  file: 'spark-jobs/Dockerfile',
  exclude: ['*', '!spark-jobs/', '!schema/', '**/__pycache__', '**/*.pyc', 'spark-jobs/.venv', 'spark-jobs/spark-warehouse'],
  buildArgs: { SPARK_VERSION: versions.spark, SCALA_BINARY: versions.scalaBinary, JMX_EXPORTER_VERSION: versions.jmxExporter },
};

/** Properties of {@link WorkloadImages}. */
export interface WorkloadImagesProps {
  /** @default PRODUCER_IMAGE_BUILD */
  readonly producer?: ImageBuild;
  /** @default SPARK_JOB_IMAGE_BUILD */
  readonly sparkJob?: ImageBuild;
}

/**
 * The producer and the Spark job as `DockerImageAsset`s. `cdk synth` only hashes the build context;
 * `cdk deploy` builds the images (linux/amd64, the node groups' architecture) and pushes them to the
 * CDK bootstrap ECR repository. Their URIs are tokens that resolve to that repository and tag.
 */
export class WorkloadImages extends Construct {
  public readonly producer: ecrAssets.DockerImageAsset;
  public readonly sparkJob: ecrAssets.DockerImageAsset;

  public constructor(scope: Construct, id: string, props: WorkloadImagesProps = {}) {
    super(scope, id);
    this.producer = imageAsset(this, 'Producer', props.producer ?? PRODUCER_IMAGE_BUILD);
    this.sparkJob = imageAsset(this, 'SparkJob', props.sparkJob ?? SPARK_JOB_IMAGE_BUILD);
  }

  /** URI of the producer image (repository:tag), a token until deploy. */
  public get producerImageUri(): string {
    return this.producer.imageUri;
  }

  /** URI of the Spark job image, a token until deploy. */
  public get sparkJobImageUri(): string {
    return this.sparkJob.imageUri;
  }
}

function imageAsset(scope: Construct, id: string, build: ImageBuild): ecrAssets.DockerImageAsset {
  const directory = resolve(PROJECT_ROOT, build.directory);
  const file = build.file ?? 'Dockerfile';
  const dockerfile = join(directory, file);
  if (!existsSync(dockerfile)) {
    throw new Error(`WorkloadImages: ${id} image: no Dockerfile at ${dockerfile} (directory ${JSON.stringify(build.directory)}, file ${JSON.stringify(file)})`);
  }
  const ignoreFile = `${dockerfile}.dockerignore`;
  const exclude = existsSync(ignoreFile) ? dockerignorePatterns(readFileSync(ignoreFile, 'utf8')) : build.exclude;
  return new ecrAssets.DockerImageAsset(scope, id, {
    directory,
    file,
    platform: ecrAssets.Platform.LINUX_AMD64,
    ...(exclude === undefined ? {} : { exclude: [...exclude], ignoreMode: IgnoreMode.DOCKER }),
    ...(build.buildArgs === undefined ? {} : { buildArgs: { ...build.buildArgs } }),
  });
}

/** The patterns of a .dockerignore file: one a line, without comments and blank lines. */
export function dockerignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}
