/**
 * The "restricted" Pod Security Standard, as the container settings our pods use. The namespace
 * enforces the standard at admission (k8s/namespace.ts); these settings make every pod pass it.
 */
import * as kplus from 'cdk8s-plus-34';

/** UID and GID the producer runs as. Not 0, and above the range images use for system users. */
export const PRODUCER_UID = 10001;

/** Container security context for cdk8s-plus containers: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp. */
export function restrictedContainerSecurityContext(uid: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: uid,
    group: uid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}
