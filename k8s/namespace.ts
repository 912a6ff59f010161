/**
 * The namespace every Flight Data Analytics workload runs in (the producers now, the Spark job later).
 */
import * as kplus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { versions } from '../lib/versions.ts';

/** Name of the namespace the pipeline's workloads run in. */
export const FLIGHT_ANALYTICS_NAMESPACE = 'flight-analytics';

/**
 * A Namespace that enforces the Kubernetes "restricted" Pod Security Standard, so a pod that runs as
 * root, keeps Linux capabilities or lacks a seccomp profile is rejected at admission instead of running.
 * The policy version is pinned to the cluster's Kubernetes minor (`versions.kubernetes`) so an upgrade
 * does not silently change what is allowed.
 */
export class FlightAnalyticsNamespace extends kplus.Namespace {
  public constructor(scope: Construct, id: string) {
    const policyVersion = `v${versions.kubernetes}`;
    super(scope, id, {
      metadata: {
        name: FLIGHT_ANALYTICS_NAMESPACE,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': policyVersion,
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': policyVersion,
        },
      },
    });
  }
}
