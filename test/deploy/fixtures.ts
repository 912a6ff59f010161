/**
 * Deployment fixtures for tests, free of aws-cdk-lib so chart tests stay light: plan inputs with
 * fixed numbers (so a test's expected sizes do not move when deploy/plan-inputs.json takes a new
 * benchmark's rates), and the deployment of cdk.json's configuration sized by them.
 */
import type { KafkaChoice } from '../../deploy/config.ts';
import { CDK_JSON_FILE, type Deployment, loadDeployment, readCdkContext } from '../../deploy/deployment.ts';
import { type CapacityPlan, type CapacityPlanInput, computeCapacityPlan } from '../../deploy/plan/capacity-plan.ts';

/** The 1.2 B events/hour target with the estimated rates docs/capacity-plan.md works through. */
export const TEST_PLAN_INPUTS: CapacityPlanInput = {
  targetEventsPerHour: 1.2e9,
  producerEventsPerSecondPerPod: 40_000,
  sparkEventsPerSecondPerCore: 4_000,
  averageEventBytes: 610,
};

/** The plan for TEST_PLAN_INPUTS with `overrides`. */
export function testPlan(overrides: Partial<CapacityPlanInput> = {}): CapacityPlan {
  return computeCapacityPlan({ ...TEST_PLAN_INPUTS, ...overrides });
}

/** The `context` block of the project's cdk.json. */
export function projectContext(): Record<string, unknown> {
  return readCdkContext(CDK_JSON_FILE);
}

/** The deployment of cdk.json's configuration with `overrides` applied, sized by TEST_PLAN_INPUTS. */
export function projectDeployment(kafkaChoice: KafkaChoice = 'msk', overrides: Record<string, unknown> = {}): Deployment {
  return loadDeployment(
    { flightAnalytics: { ...(projectContext()['flightAnalytics'] as object), ...overrides }, kafka: kafkaChoice },
    { inputs: TEST_PLAN_INPUTS, sources: {} },
  );
}
