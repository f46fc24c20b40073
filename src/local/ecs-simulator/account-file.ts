import { z } from 'zod';
import { DeploymentControllerSchema, RegisterTaskDefinitionRequestSchema } from './ecs-requests.js';
import type { EcsState } from './ecs-state.js';

/**
 * The `--account` file of `ecs-admission simulate` (a stable format: users script against it).
 * Task definitions are registered in order, so a family's revisions count from 1.
 */
export const AccountFileSchema = z
  .object({
    account: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account ID'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as us-east-1'),
    taskDefinitions: z.array(RegisterTaskDefinitionRequestSchema).default([]),
    clusters: z
      .array(
        z
          .object({
            clusterName: z.string().min(1),
            services: z
              .array(
                z
                  .object({
                    serviceName: z.string().min(1),
                    taskDefinition: z.string().min(1).optional(),
                    desiredCount: z.number().int().min(0).default(1),
                    deploymentController: DeploymentControllerSchema.default({ type: 'ECS' }),
                    launchType: z.string().optional(),
                  })
                  .strict(),
              )
              .default([]),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type AccountFile = z.infer<typeof AccountFileSchema>;

/**
 * Loads an account into the simulator's state directly (no events, no call counts): this is the
 * account as it was before the recorded events happened. Raises the ECS error of the first entry
 * the API would refuse, prefixed with where it is in the file.
 */
export function loadAccount(state: EcsState, account: AccountFile, caller: string): void {
  for (const [i, td] of account.taskDefinitions.entries()) {
    try {
      state.operations.RegisterTaskDefinition?.(td, caller);
    } catch (error) {
      throw new Error(`taskDefinitions[${i}]: ${(error as Error).message}`, { cause: error });
    }
  }
  for (const [c, cluster] of account.clusters.entries()) {
    state.operations.CreateCluster?.({ clusterName: cluster.clusterName }, caller);
    for (const [s, service] of cluster.services.entries()) {
      try {
        state.operations.CreateService?.({ cluster: cluster.clusterName, ...service }, caller);
      } catch (error) {
        throw new Error(`clusters[${c}].services[${s}]: ${(error as Error).message}`, { cause: error });
      }
    }
  }
}
