/**
 * Every pod the manifests can create meets the Kubernetes "restricted" Pod Security Standard
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/), checked by walking the
 * synthesised manifests, so a new workload cannot slip in without it.
 */
import { describe, expect, it } from 'vitest';
import { allManifests, type Manifest, podSpecs } from './fixtures.ts';

const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/** The violations of the restricted standard in one pod spec; empty when it passes. */
function restrictedViolations(pod: { podSecurityContext: Manifest; containers: Manifest[]; spec: Manifest }): string[] {
  const violations: string[] = [];
  const psc = pod.podSecurityContext ?? {};
  for (const hostField of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (pod.spec[hostField] === true) violations.push(`${hostField} is true`);
  }
  for (const volume of pod.spec.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== 'name');
    if (!type || !RESTRICTED_VOLUME_TYPES.includes(type)) violations.push(`volume ${volume.name} is of type ${type}`);
  }
  if (psc.runAsUser === 0) violations.push('pod runAsUser is 0');
  for (const container of pod.containers) {
    const sc = container.securityContext ?? {};
    const name = `container ${container.name}`;
    if (sc.privileged === true) violations.push(`${name} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) violations.push(`${name} does not set allowPrivilegeEscalation: false`);
    if (!(sc.runAsNonRoot === true || (psc.runAsNonRoot === true && sc.runAsNonRoot !== false))) violations.push(`${name} may run as root`);
    if (sc.runAsUser === 0) violations.push(`${name} runAsUser is 0`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') violations.push(`${name} has seccomp ${seccomp}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) violations.push(`${name} does not drop ALL capabilities`);
    for (const added of sc.capabilities?.add ?? []) {
      if (added !== 'NET_BIND_SERVICE') violations.push(`${name} adds capability ${added}`);
    }
    for (const port of container.ports ?? []) {
      if (port.hostPort) violations.push(`${name} uses hostPort ${port.hostPort}`);
    }
  }
  return violations;
}

describe('restricted Pod Security Standard', () => {
  const pods = podSpecs(allManifests());

  it('finds the pod specs of the topic Job, the producer StatefulSet and the Spark driver and executors', () => {
    expect(pods.map((p) => p.where).sort()).toStrictEqual([
      'Job/flight-events-topic',
      'SparkApplication/flight-analytics driver',
      'SparkApplication/flight-analytics executor',
      'StatefulSet/flight-producer',
    ]);
  });

  it.each(pods.map((p) => [p.where, p] as const))('%s passes', (_where, pod) => {
    expect(restrictedViolations(pod)).toStrictEqual([]);
  });

  it.each(pods.filter((p) => !p.where.startsWith('SparkApplication')).map((p) => [p.where, p] as const))(
    '%s mounts only volumes it declares',
    (_where, pod) => {
      const declared = (pod.spec.volumes ?? []).map((v: Manifest) => v.name);
      const mounted = pod.containers.flatMap((c) => (c.volumeMounts ?? []).map((m: Manifest) => m.name));
      expect(mounted.filter((name) => !declared.includes(name))).toStrictEqual([]);
    },
  );

  it('catches a pod that breaks it (the check can fail)', () => {
    const bad = {
      podSecurityContext: {},
      spec: { hostNetwork: true, volumes: [{ name: 'root', hostPath: { path: '/' } }] },
      containers: [{ name: 'c', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }],
    };
    expect(restrictedViolations(bad)).toStrictEqual([
      'hostNetwork is true',
      'volume root is of type hostPath',
      'container c does not set allowPrivilegeEscalation: false',
      'container c may run as root',
      'container c has seccomp undefined',
      'container c does not drop ALL capabilities',
      'container c adds capability SYS_ADMIN',
    ]);
  });
});
