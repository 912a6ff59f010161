import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnOutput, CfnResource, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { dockerignorePatterns, WorkloadImages } from '../../lib/images.ts';
import { versions } from '../../deploy/versions.ts';
import { projectApp } from './fixtures.ts';

interface DockerImageSource {
  readonly directory: string;
  readonly dockerFile: string;
  readonly dockerBuildArgs?: Record<string, string>;
  readonly platform: string;
}

describe('WorkloadImages', () => {
  let outdir: string;
  let sources: Record<string, DockerImageSource>;
  beforeAll(() => {
    // GIVEN the repository's producer/ and spark-jobs/ Dockerfiles WHEN the images are synthesised
    const app = projectApp();
    const stack = new Stack(app, 'ImagesTest');
    const images = new WorkloadImages(stack, 'Images');
    // (a template must have a resource to pass CDK's CloudFormation validation)
    new CfnResource(stack, 'Placeholder', { type: 'AWS::CloudFormation::WaitConditionHandle' });
    new CfnOutput(stack, 'ProducerImageUri', { value: images.producerImageUri });
    const assembly = app.synth();
    outdir = assembly.directory;
    const manifest = JSON.parse(readFileSync(join(outdir, 'ImagesTest.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { displayName: string; source: DockerImageSource }>;
    };
    sources = Object.fromEntries(Object.values(manifest.dockerImages).map((image) => [image.displayName, image.source]));
  });

  it('builds the producer from the repository root with producer/Dockerfile, for linux/amd64', () => {
    expect(sources['Images/Producer']).toMatchObject({ dockerFile: 'producer/Dockerfile', platform: 'linux/amd64' });
  });

  it('puts only what producer/Dockerfile.dockerignore allows into the producer context', () => {
    const context = join(outdir, sources['Images/Producer']!.directory);
    expect(readdirSync(context).sort()).toStrictEqual(['package-lock.json', 'package.json', 'producer', 'tsconfig.json']);
    expect(readdirSync(join(context, 'producer'))).not.toContain('dist');
  });

  it('builds the Spark job with the Spark and Scala versions from versions.json, from spark-jobs/ and schema/ only', () => {
    const source = sources['Images/SparkJob']!;
    expect(source).toMatchObject({
      dockerFile: 'spark-jobs/Dockerfile',
      platform: 'linux/amd64',
      dockerBuildArgs: { SPARK_VERSION: versions.spark, SCALA_BINARY: versions.scalaBinary, JMX_EXPORTER_VERSION: versions.jmxExporter },
    });
    expect(readdirSync(join(outdir, source.directory)).sort()).toStrictEqual(['schema', 'spark-jobs']);
  });

  it('reads .dockerignore patterns without comments or blank lines', () => {
    expect(dockerignorePatterns('# comment\n*\n\n!producer/\n  producer/dist/  \n')).toStrictEqual(['*', '!producer/', 'producer/dist/']);
  });
});
