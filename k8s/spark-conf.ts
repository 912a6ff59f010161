/**
 * The Spark job's production settings (sparkConf), for the cluster.
 *
 * They are written once, in spark-jobs/flight_analytics/spark-settings.json, which the job's own
 * session reads too (settings.py, where each setting's reason is). The SparkApplication gets every
 * group of that file (an s3a:// checkpoint, and the keys only the cluster needs), plus the values
 * the deployment decides: the shuffle partitions and the RocksDB memory of an executor (from the
 * capacity plan) and the S3 region;
 * and the file's JVM options as its driver's and executors' javaOptions (SPARK_JAVA_OPTIONS).
 */
import { readFileSync } from 'node:fs';

/** The groups of spark-settings.json. */
interface SparkSettings {
  /** Every session of the job. */
  readonly everywhere: Readonly<Record<string, string>>;
  /** When the checkpoints are on s3a://, as they are on the cluster. */
  readonly s3aCheckpoints: Readonly<Record<string, string>>;
  /** The SparkApplication only. */
  readonly cluster: Readonly<Record<string, string>>;
  /** JVM options of the driver and the executors (settings.py says why). */
  readonly javaOptions: string;
}

// Resolved from this module, one level below the root, as the bundled CDK app in cdk.out/ is.
const SPARK_SETTINGS: SparkSettings = JSON.parse(
  readFileSync(new URL('../spark-jobs/flight_analytics/spark-settings.json', import.meta.url), 'utf8'),
);

/**
 * The driver's and the executors' JVM options, for the SparkApplication's `javaOptions` rather than
 * `spark.*.extraJavaOptions` in sparkConf: spark-operator appends its JMX agent to `javaOptions`,
 * and a sparkConf key would replace that.
 */
export const SPARK_JAVA_OPTIONS: string = SPARK_SETTINGS.javaOptions;

export interface ProductionSparkConfOptions {
  /** `spark.sql.shuffle.partitions`: fixed once a stateful query has checkpointed, so from the capacity plan. */
  readonly shufflePartitions: number;
  /** `spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB`: an executor's RocksDB memory, from the capacity plan. */
  readonly rocksdbMaxMemoryMib: number;
  /** Region of the S3 bucket (`fs.s3a.endpoint.region`). @default - the AWS SDK's region chain */
  readonly awsRegion?: string;
}

export function productionSparkConf(options: ProductionSparkConfOptions): Record<string, string> {
  return {
    'spark.sql.shuffle.partitions': String(options.shufflePartitions),
    ...SPARK_SETTINGS.everywhere,
    ...SPARK_SETTINGS.s3aCheckpoints,
    ...SPARK_SETTINGS.cluster,
    'spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB': String(options.rocksdbMaxMemoryMib),
    ...(options.awsRegion ? { 'spark.hadoop.fs.s3a.endpoint.region': options.awsRegion } : {}),
  };
}
