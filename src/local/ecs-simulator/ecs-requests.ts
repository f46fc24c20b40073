import { z } from 'zod';

/**
 * The request members the simulator reads, per operation. Objects are loose (`z.looseObject`) because
 * the real API accepts many members the simulator only stores and echoes back.
 */
const TagSchema = z.object({ key: z.string().min(1).max(128), value: z.string().max(256).optional() });
export const TagsSchema = z.array(TagSchema).max(50);
export type Tag = z.infer<typeof TagSchema>;

export const RegisterTaskDefinitionRequestSchema = z.looseObject({
  family: z.string(),
  containerDefinitions: z.array(z.looseObject({ name: z.string().optional(), image: z.string().optional() })),
  tags: TagsSchema.optional(),
  requiresCompatibilities: z.array(z.string()).optional(),
});

export const DescribeTaskDefinitionRequestSchema = z.object({
  taskDefinition: z.string(),
  include: z.array(z.string()).optional(),
});

export const ListTaskDefinitionsRequestSchema = z.object({
  familyPrefix: z.string().optional(),
  status: z.enum(['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS']).optional(),
  sort: z.enum(['ASC', 'DESC']).optional(),
  nextToken: z.string().optional(),
  maxResults: z.number().int().min(1).max(100).optional(),
});

export const ListTaskDefinitionFamiliesRequestSchema = z.object({
  familyPrefix: z.string().optional(),
  status: z.enum(['ACTIVE', 'INACTIVE', 'ALL']).optional(),
  nextToken: z.string().optional(),
  maxResults: z.number().int().min(1).max(100).optional(),
});

export const TaskDefinitionOnlySchema = z.object({ taskDefinition: z.string() });
export const TagResourceRequestSchema = z.object({ resourceArn: z.string(), tags: TagsSchema });
export const ResourceArnSchema = z.object({ resourceArn: z.string() });
export const CreateClusterRequestSchema = z.looseObject({ clusterName: z.string().optional() });
export const PageRequestSchema = z.looseObject({
  nextToken: z.string().optional(),
  maxResults: z.number().int().min(1).max(100).optional(),
});
export const DescribeClustersRequestSchema = z.looseObject({ clusters: z.array(z.string()).optional() });

export const DeploymentControllerSchema = z.object({ type: z.enum(['ECS', 'CODE_DEPLOY', 'EXTERNAL']) });

/** A service's load balancer or service registry entry: the container and port ECS routes to. */
export const ContainerTargetSchema = z.looseObject({
  containerName: z.string().optional(),
  containerPort: z.number().int().optional(),
});

export const CreateServiceRequestSchema = z.looseObject({
  cluster: z.string().optional(),
  serviceName: z.string(),
  taskDefinition: z.string().optional(),
  desiredCount: z.number().int().min(0).optional(),
  deploymentController: DeploymentControllerSchema.optional(),
  launchType: z.string().optional(),
  tags: TagsSchema.optional(),
  loadBalancers: z.array(ContainerTargetSchema).optional(),
  serviceRegistries: z.array(ContainerTargetSchema).optional(),
});

export const UpdateServiceRequestSchema = z.looseObject({
  cluster: z.string().optional(),
  service: z.string(),
  taskDefinition: z.string().optional(),
  desiredCount: z.number().int().min(0).optional(),
  forceNewDeployment: z.boolean().optional(),
  loadBalancers: z.array(ContainerTargetSchema).optional(),
  serviceRegistries: z.array(ContainerTargetSchema).optional(),
});

export const DescribeServicesRequestSchema = z.looseObject({
  cluster: z.string().optional(),
  services: z.array(z.string()),
});

export const ListServicesRequestSchema = PageRequestSchema.extend({ cluster: z.string().optional() });

export const RunTaskRequestSchema = z.looseObject({
  cluster: z.string().optional(),
  taskDefinition: z.string(),
  count: z.number().int().optional(),
  startedBy: z.string().max(128).optional(),
  group: z.string().optional(),
  launchType: z.string().optional(),
});

export const StopTaskRequestSchema = z.object({
  cluster: z.string().optional(),
  task: z.string(),
  reason: z.string().optional(),
});

export const DescribeTasksRequestSchema = z.looseObject({
  cluster: z.string().optional(),
  tasks: z.array(z.string()),
});

export const ListTasksRequestSchema = PageRequestSchema.extend({
  cluster: z.string().optional(),
  family: z.string().optional(),
  serviceName: z.string().optional(),
  startedBy: z.string().optional(),
  desiredStatus: z.enum(['RUNNING', 'PENDING', 'STOPPED']).optional(),
});
