/**
 * The Spark job's production settings (sparkConf), for the cluster.
 *
 * The job's own production settings live in spark-jobs/flight_analytics/settings.py (spark_conf);
 * test/k8s/test_spark_conf_coherence.py fails when a key it sets for an s3a:// checkpoint is missing
 * here or has another value. The keys only the cluster needs (S3A's implementation and region,
 * fixed executors) are added here.
 */

export interface ProductionSparkConfOptions {
  /** `spark.sql.shuffle.partitions`: fixed once a stateful query has checkpointed, so from the capacity plan. */
  readonly shufflePartitions: number;
  /** Region of the S3 bucket (`fs.s3a.endpoint.region`). @default - the AWS SDK's region chain */
  readonly awsRegion?: string;
}

export function productionSparkConf(options: ProductionSparkConfOptions): Record<string, string> {
  return {
    'spark.sql.shuffle.partitions': String(options.shufflePartitions),
    // State in RocksDB (off-heap, spills to local disk) instead of the JVM heap, and checkpoint only
    // the changelog of each micro-batch instead of snapshotting every state store to S3.
    'spark.sql.streaming.stateStore.providerClass': 'org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider',
    'spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled': 'true',
    // On S3 a rename is a copy (SPARK-40039): write checkpoint files with abortable multipart uploads
    // instead of write-then-rename. Needs spark-hadoop-cloud and hadoop-aws in the image.
    'spark.sql.streaming.checkpointFileManagerClass': 'org.apache.spark.internal.io.cloud.AbortableStreamBasedCheckpointFileManager',
    'spark.hadoop.fs.s3a.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    // EKS Pod Identity serves credentials through the container credentials endpoint, which the SDK's
    // default chain reads (AWS_CONTAINER_CREDENTIALS_FULL_URI).
    'spark.hadoop.fs.s3a.aws.credentials.provider': 'software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider',
    ...(options.awsRegion ? { 'spark.hadoop.fs.s3a.endpoint.region': options.awsRegion } : {}),
    // Fixed executors; see the SparkApplication's dynamicAllocation comment.
    'spark.dynamicAllocation.enabled': 'false',
    // Streaming query metrics (input rate, processing rate, latency) in the metrics system.
    'spark.sql.streaming.metricsEnabled': 'true',
    'spark.sql.session.timeZone': 'UTC',
    // The validation stage compiles to one method HotSpot would only interpret above 8000 bytes of
    // bytecode; see spark-jobs/flight_analytics/settings.py (test/k8s/test_spark_conf_coherence.py
    // holds these two copies to each other).
    'spark.sql.codegen.hugeMethodLimit': '8000',
  };
}
