import type { ContainerDefinition, RegisterTaskDefinitionRequest } from '../../src/taskdef/types.js';

/** A small valid Fargate task definition; `containers` replace its one nginx container. */
export function fargateTask(
  overrides: Partial<RegisterTaskDefinitionRequest> = {},
  containers: ContainerDefinition[] = [appContainer()],
): RegisterTaskDefinitionRequest {
  return {
    family: 'web',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '512',
    memory: '1024',
    containerDefinitions: containers,
    ...overrides,
  };
}

/** An app container that states its own command line. */
export function appContainer(overrides: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return {
    name: 'app',
    image: 'nginx:1.27',
    entryPoint: ['/docker-entrypoint.sh'],
    command: ['nginx', '-g', 'daemon off;'],
    ...overrides,
  };
}
