import type { AccountFile } from '../../../src/local/ecs-simulator/account-file.js';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const tdArn = (family: string, revision: number) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;

/** A Fargate task definition whose containers state their entryPoint (no registry look-up needed). */
export function fargate(
  family: string,
  extra: Record<string, unknown> = {},
): AccountFile['taskDefinitions'][number] {
  return {
    family,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: 'app',
        image: 'public.ecr.aws/nginx/nginx:1.27',
        essential: true,
        entryPoint: ['nginx', '-g', 'daemon off;'],
        environment: [{ name: 'API_TOKEN', value: 'very-secret-value' }],
      },
    ],
    ...extra,
  };
}

export function account(
  taskDefinitions: AccountFile['taskDefinitions'],
  clusters: {
    clusterName: string;
    services: { serviceName: string; taskDefinition: string; type?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL' }[];
  }[],
): AccountFile {
  return {
    account: ACCOUNT,
    region: REGION,
    taskDefinitions,
    clusters: clusters.map((c) => ({
      clusterName: c.clusterName,
      services: c.services.map((s) => ({
        serviceName: s.serviceName,
        taskDefinition: s.taskDefinition,
        desiredCount: 1,
        deploymentController: { type: s.type ?? 'ECS' },
      })),
    })),
  };
}
