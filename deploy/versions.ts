/**
 * Typed view of versions.json, the one source of truth for every version in the project.
 * Everything in deploy/, lib/ and k8s/ imports versions from here; nothing hard-codes one.
 */
import { readFileSync } from 'node:fs';

export interface Versions {
  /** Apache Spark release, e.g. '4.1.2'. pyspark, the connector and the image all follow it. */
  readonly spark: string;
  /** Scala binary version of the Spark build, e.g. '2.13'. */
  readonly scalaBinary: string;
  /** Java release the Spark image and local JVMs use. */
  readonly javaRelease: string;
  /** Apache Kafka release for the local broker and the docker compose images. */
  readonly kafka: string;
  /** Amazon MSK Kafka version string. */
  readonly mskKafka: string;
  /** EKS Kubernetes minor version, e.g. '1.35'. */
  readonly kubernetes: string;
  /** npm package of the kubectl Lambda layer that matches `kubernetes`. */
  readonly kubectlLayerPackage: string;
  /** npm package of cdk8s-plus that matches the cluster (newest published: 34). */
  readonly cdk8sPlusPackage: string;
  /** kubeflow spark-operator Helm chart version. */
  readonly sparkOperatorChart: string;
  /**
   * Strimzi operator Helm chart version (`-c kafka=strimzi`). 1.0.x is the newest line that still runs
   * `kafka` (4.1.x; Strimzi 1.1 dropped it) and the first with only the `kafka.strimzi.io/v1` API.
   * The CRDs vendored in k8s/imports/crds/strimzi-<version>-*.yaml are this version's.
   */
  readonly strimziChart: string;
  /**
   * prometheus-community kube-prometheus-stack Helm chart version: the Prometheus Operator, Prometheus,
   * Alertmanager and Grafana (lib/monitoring.ts). The PodMonitor and PrometheusRule CRDs vendored in
   * k8s/imports/crds/kube-prometheus-stack-<version>-*.yaml are this version's.
   */
  readonly kubePrometheusStackChart: string;
  /**
   * Prometheus JMX exporter Java agent (io.prometheus.jmx:jmx_prometheus_javaagent): the local observability
   * test's broker runs it (local/jmx_exporter.py); spark-jobs/Dockerfile's ARG default must equal it.
   */
  readonly jmxExporter: string;
  /** Node.js release the producer runs on, locally and in its image. */
  readonly node: string;
  /** Python minor version for the Spark job. */
  readonly python: string;
  readonly images: {
    /** Official apache/spark image the Spark job image is built on. */
    readonly spark: string;
    /** Official apache/kafka image for docker compose. */
    readonly kafka: string;
    /** Base image of the producer. */
    readonly nodeBase: string;
  };
}

/** versions.json at the repository root (deploy/ and the bundled CDK app in cdk.out/ both sit one level below it). */
const versionsPath = new URL('../versions.json', import.meta.url);

export const versions: Versions = JSON.parse(readFileSync(versionsPath, 'utf8'));

