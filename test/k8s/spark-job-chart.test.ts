import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { versions } from '../../deploy/versions.ts';
import { SPARK_JAVA_OPTIONS } from '../../k8s/spark-conf.ts';
import { MAIN_APPLICATION_FILE, SPARK_JOB_METRICS_PORT, SparkJobChart, type SparkJobChartProps } from '../../k8s/spark-job-chart.ts';
import { testPlan } from '../deploy/fixtures.ts';
import { type Manifest, manifestOfKind, MSK_IAM, TEST_BOOTSTRAP, TEST_BUCKET, TEST_SPARK_IMAGE } from './fixtures.ts';

const requiredProps: SparkJobChartProps = { bootstrapServers: TEST_BOOTSTRAP, bucketName: TEST_BUCKET, image: TEST_SPARK_IMAGE, plan: testPlan(), kafkaSecurity: MSK_IAM };

function sparkApplication(props: Partial<SparkJobChartProps> = {}): Manifest {
  return manifestOfKind(Testing.synth(new SparkJobChart(Testing.app(), 'flight-analytics', { ...requiredProps, ...props })), 'SparkApplication');
}

describe('SparkJobChart', () => {
  it('is a Python cluster-mode SparkApplication with sparkVersion from versions.json and the given image', () => {
    const app = sparkApplication();
    expect(app.apiVersion).toBe('sparkoperator.k8s.io/v1beta2');
    expect(app.spec).toMatchObject({
      type: 'Python',
      mode: 'cluster',
      sparkVersion: versions.spark,
      image: TEST_SPARK_IMAGE,
      mainApplicationFile: MAIN_APPLICATION_FILE,
    });
  });

  it('sizes driver, executors, shuffle partitions and micro-batches from the plan', () => {
    const plan = testPlan();
    const spec = sparkApplication({ plan }).spec;
    expect(spec.executor).toMatchObject({ instances: 32, cores: 4, memory: '12288m', memoryOverhead: '4096m' });
    expect(spec.executor.instances).toBe(plan.spark.executorInstances.value);
    expect(spec.driver).toMatchObject({ cores: 2, memory: '4096m' });
    expect(spec.sparkConf['spark.sql.shuffle.partitions']).toBe(String(plan.spark.shufflePartitions.value));
    // RocksDB's pool is half the 4096 MiB overhead, and the plan's value wins over spark-settings.json's local 256
    expect(spec.sparkConf['spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB']).toBe('2048');
    expect(spec.sparkConf['spark.sql.streaming.stateStore.rocksdb.boundedMemoryUsage']).toBe('true');
    expect(spec.arguments).toEqual(expect.arrayContaining(['--max-offsets-per-trigger', '6666667', '--trigger', 'processing-time:10s']));
  });

  it('serves the job\'s own Prometheus metrics on a named driver port, bound to all interfaces of the pod', () => {
    const spec = sparkApplication().spec;
    expect(spec.arguments).toEqual(expect.arrayContaining(['--metrics-port', String(SPARK_JOB_METRICS_PORT), '--metrics-host', '0.0.0.0']));
    expect(spec.driver.ports).toStrictEqual([{ name: 'job-metrics', containerPort: SPARK_JOB_METRICS_PORT, protocol: 'TCP' }]);
  });

  it('gives the driver and the executors the JVM options of spark-settings.json as javaOptions, not as a sparkConf key spark-operator\'s JMX agent would lose to', () => {
    const spec = sparkApplication().spec;
    expect(SPARK_JAVA_OPTIONS).toContain('-XX:+UseParallelGC');
    expect(spec.driver.javaOptions).toBe(SPARK_JAVA_OPTIONS);
    expect(spec.executor.javaOptions).toBe(SPARK_JAVA_OPTIONS);
    expect(Object.keys(spec.sparkConf).filter((key) => key.endsWith('extraJavaOptions'))).toStrictEqual([]);
  });

  it('runs fixed executors (no dynamic allocation) and restarts on failure with retries and pauses', () => {
    const spec = sparkApplication().spec;
    expect(spec.dynamicAllocation).toStrictEqual({ enabled: false });
    expect(spec.restartPolicy).toStrictEqual({
      type: 'OnFailure',
      onFailureRetries: 10,
      onFailureRetryInterval: 30,
      onSubmissionFailureRetries: 5,
      onSubmissionFailureRetryInterval: 60,
    });
  });

  it('uses RocksDB with changelog checkpointing and the abortable checkpoint manager on S3A', () => {
    expect(sparkApplication({ awsRegion: 'eu-west-1' }).spec.sparkConf).toMatchObject({
      'spark.sql.streaming.stateStore.providerClass': 'org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider',
      'spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled': 'true',
      'spark.sql.streaming.checkpointFileManagerClass': 'org.apache.spark.internal.io.cloud.AbortableStreamBasedCheckpointFileManager',
      'spark.hadoop.fs.s3a.endpoint.region': 'eu-west-1',
    });
  });

  it('reads and writes under the bucket, and authenticates to Kafka as kafkaSecurity says', () => {
    const args: string[] = sparkApplication({ kafkaSecurity: MSK_IAM, consumerGroupId: 'flight-analytics' }).spec.arguments;
    expect(args).toEqual(expect.arrayContaining([
      '--output-dir', `s3a://${TEST_BUCKET}/analytics`,
      '--checkpoint-dir', `s3a://${TEST_BUCKET}/checkpoints`,
    ]));
    expect(args).toContain('kafka.security.protocol=SASL_SSL');
    expect(args).toContain('kafka.sasl.mechanism=AWS_MSK_IAM');
    expect(args).toContain('kafka.group.id=flight-analytics');
    const mtls = sparkApplication({ kafkaSecurity: { kind: 'mtls', clusterCaSecret: 'ca', userSecret: 'user' } }).spec.arguments.join(' ');
    expect(mtls).not.toContain('SASL_SSL');
    expect(mtls).toContain('kafka.security.protocol=SSL');
  });

  it('puts the driver and executors on their node groups, as the Spark service account, with Prometheus metrics', () => {
    const spec = sparkApplication().spec;
    expect(spec.driver.nodeSelector).toStrictEqual({ 'flight-analytics/workload': 'spark-drivers' });
    expect(spec.executor.nodeSelector).toStrictEqual({ 'flight-analytics/workload': 'spark-executors' });
    expect(spec.executor.tolerations).toStrictEqual([{ key: 'flight-analytics/workload', operator: 'Equal', value: 'spark-executors', effect: 'NoSchedule' }]);
    expect(spec.driver.serviceAccount).toBe('flight-analytics-spark');
    expect(spec.executor.serviceAccount).toBe('flight-analytics-spark');
    expect(spec.monitoring).toMatchObject({ exposeDriverMetrics: true, exposeExecutorMetrics: true, prometheus: { port: 8090 } });
  });

  it.each<[string, Partial<SparkJobChartProps>, string]>([
    ['empty bucket', { bucketName: '' }, 'SparkJobChart: bucketName must be a non-empty string without whitespace, got ""'],
    ['empty image', { image: ' ' }, 'SparkJobChart: image must be a non-empty string without whitespace, got " "'],
  ])('throws naming the prop and value for %s', (_case, props, message) => {
    expect(() => sparkApplication(props)).toThrow(message);
  });

  it('matches the snapshot', () => {
    expect(sparkApplication()).toMatchSnapshot();
  });
});
