/**
 * kube-prometheus-stack in the stack (lib/monitoring.ts): the pinned chart, its values (no Grafana
 * password in the template, open selectors, the MSK scrape jobs), and the monitoring chart applied
 * after it.
 */
import { CfnResource } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { KubernetesManifest } from 'aws-cdk-lib/aws-eks-v2';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KafkaChoice } from '../../deploy/config.ts';
import { versions } from '../../deploy/versions.ts';
import { mskScrapeConfigs } from '../../lib/monitoring.ts';
import { synthesizedProject } from './fixtures.ts';

/** The kube-prometheus-stack HelmChart resource's properties, with its values parsed. */
function monitoringRelease(kafkaChoice: KafkaChoice): { properties: Record<string, unknown>; values: unknown; logicalId: string } {
  const { template } = synthesizedProject(kafkaChoice);
  const releases = Object.entries(template.findResources('Custom::AWSCDK-EKS-HelmChart', { Properties: { Chart: 'kube-prometheus-stack' } }));
  expect(releases).toHaveLength(1);
  const [logicalId, resource] = releases[0]!;
  const properties = resource['Properties'] as Record<string, unknown>;
  return { properties, values: properties['Values'], logicalId };
}

/** A Values string of the template is an Fn::Join when it holds tokens; joined here with the tokens as JSON. */
function valuesText(values: unknown): string {
  if (typeof values === 'string') return values;
  const join = (values as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(join[0]);
}

function manifestDependsOn(kafkaChoice: KafkaChoice, manifest: KubernetesManifest): string[] {
  const { stack, template } = synthesizedProject(kafkaChoice);
  const cfn = manifest.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c))!;
  return template.findResources('Custom::AWSCDK-EKS-KubernetesResource')[stack.getLogicalId(cfn)]!['DependsOn'] ?? [];
}

describe('Monitoring (kube-prometheus-stack)', () => {
  beforeAll(() => {
    synthesizedProject('msk');
    synthesizedProject('strimzi');
  }, 240_000);

  it('installs the chart at the version in versions.json into namespace monitoring', () => {
    const { properties } = monitoringRelease('msk');
    expect(properties).toMatchObject({
      Chart: 'kube-prometheus-stack',
      Version: versions.kubePrometheusStackChart,
      Repository: 'https://prometheus-community.github.io/helm-charts',
      Namespace: 'monitoring',
      CreateNamespace: true,
    });
  });

  it.each<KafkaChoice>(['msk', 'strimzi'])('keeps Grafana\'s password out of the template and anonymous access off (kafka=%s)', (kafkaChoice) => {
    const { values } = monitoringRelease(kafkaChoice);
    const text = valuesText(values);
    const parsed = JSON.parse(text.replace(/\{"Fn::GetAtt":\[[^\]]*\]\}/g, 'host'));
    // The chart generates the admin password into its Secret; nothing here may set or name one.
    expect(parsed.grafana.adminPassword).toBeUndefined();
    expect(parsed.grafana.admin).toBeUndefined();
    expect(text).not.toMatch(/password/i);
    expect(parsed.grafana['grafana.ini']['auth.anonymous']).toStrictEqual({ enabled: false });
    // AND Prometheus selects the workload namespace's monitors and rules without a Helm label
    expect(parsed.prometheus.prometheusSpec).toMatchObject({
      podMonitorSelectorNilUsesHelmValues: false,
      ruleSelectorNilUsesHelmValues: false,
      serviceMonitorSelectorNilUsesHelmValues: false,
      nodeSelector: { 'flight-analytics/workload': 'system' },
    });
  });

  it('scrapes every MSK broker named by ListNodes on its JMX and node exporter ports (MSK only)', () => {
    const { stack } = synthesizedProject('msk');
    const msk = JSON.parse(valuesText(monitoringRelease('msk').values).replace(/\{"Fn::GetAtt":\[("[^"]*"),("[^"]*")\]\}/g, (_, id, field) => `<${JSON.parse(id)}.${JSON.parse(field)}>`));
    const jobs = msk.prometheus.prometheusSpec.additionalScrapeConfigs;
    expect(jobs.map((job: { job_name: string }) => job.job_name)).toStrictEqual(['msk-jmx-exporter', 'msk-node-exporter']);
    const brokerCount = stack.config.kafka.brokerCount;
    for (const [job, port] of [[jobs[0], 11001], [jobs[1], 11002]] as const) {
      const targets: string[] = job.static_configs[0].targets;
      expect(targets).toHaveLength(brokerCount);
      targets.forEach((target, index) => expect(target).toMatch(new RegExp(`^<KafkaBrokerNodes[0-9A-F]+\\.NodeInfoList\\.${index}\\.BrokerNodeInfo\\.Endpoints\\.0>:${port}$`)));
    }
    const strimzi = JSON.parse(valuesText(monitoringRelease('strimzi').values));
    expect(strimzi.prometheus.prometheusSpec.additionalScrapeConfigs).toBeUndefined();
  });

  it('refuses MSK scrape targets without a broker', () => {
    expect(() => mskScrapeConfigs({ brokerHosts: [], jmxExporterPort: 11001, nodeExporterPort: 11002 })).toThrow(
      'Monitoring: msk.brokerHosts must name at least one broker, got none',
    );
  });

  it.each<KafkaChoice>(['msk', 'strimzi'])('applies the monitoring chart after the release that installs its CRDs, and after the namespace (kafka=%s)', (kafkaChoice) => {
    const { stack, template } = synthesizedProject(kafkaChoice);
    const dependsOn = manifestDependsOn(kafkaChoice, stack.workloads.monitoringManifest);
    expect(dependsOn).toContain(monitoringRelease(kafkaChoice).logicalId);
    const namespace = stack.workloads.namespaceManifest.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c))!;
    expect(dependsOn).toContain(stack.getLogicalId(namespace));
    // AND the release runs after the system nodes it is scheduled on exist
    template.hasResource('Custom::AWSCDK-EKS-HelmChart', {
      Properties: { Chart: 'kube-prometheus-stack' },
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^EksClusterNodegroupsystem')]),
    });
  });
});
