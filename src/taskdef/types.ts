/**
 * Types of the ECS task-definition model, inferred from the generated schemas (never written twice).
 * Regenerate the schemas with `npm run generate`.
 */
import type { z } from 'zod';
import type {
  ApplicationProtocolSchema,
  AttributeSchema,
  CompatibilitySchema,
  ContainerConditionSchema,
  ContainerDefinitionSchema,
  ContainerDependencySchema,
  ContainerRestartPolicySchema,
  CPUArchitectureSchema,
  DescribeTaskDefinitionResponseSchema,
  DeviceCgroupPermissionSchema,
  DeviceSchema,
  DockerVolumeConfigurationSchema,
  EFSAuthorizationConfigIAMSchema,
  EFSAuthorizationConfigSchema,
  EFSTransitEncryptionSchema,
  EFSVolumeConfigurationSchema,
  EnvironmentFileSchema,
  EnvironmentFileTypeSchema,
  EphemeralStorageSchema,
  FirelensConfigurationSchema,
  FirelensConfigurationTypeSchema,
  FSxWindowsFileServerAuthorizationConfigSchema,
  FSxWindowsFileServerVolumeConfigurationSchema,
  HealthCheckSchema,
  HostEntrySchema,
  HostVolumePropertiesSchema,
  InferenceAcceleratorSchema,
  IpcModeSchema,
  KernelCapabilitiesSchema,
  KeyValuePairSchema,
  LinuxParametersSchema,
  LogConfigurationSchema,
  LogDriverSchema,
  MountPointSchema,
  NetworkModeSchema,
  OSFamilySchema,
  PidModeSchema,
  PortMappingSchema,
  ProxyConfigurationSchema,
  ProxyConfigurationTypeSchema,
  RegisterTaskDefinitionRequestSchema,
  RepositoryCredentialsSchema,
  ResourceRequirementSchema,
  ResourceTypeSchema,
  RuntimePlatformSchema,
  ScopeSchema,
  SecretSchema,
  SystemControlSchema,
  TagSchema,
  TaskDefinitionPlacementConstraintSchema,
  TaskDefinitionPlacementConstraintTypeSchema,
  TaskDefinitionSchema,
  TaskDefinitionStatusSchema,
  TmpfsSchema,
  TransportProtocolSchema,
  UlimitNameSchema,
  UlimitSchema,
  VersionConsistencySchema,
  VolumeFromSchema,
  VolumeSchema,
} from './ecs-shapes.generated.js';

export type ApplicationProtocol = z.infer<typeof ApplicationProtocolSchema>;
export type Attribute = z.infer<typeof AttributeSchema>;
export type CPUArchitecture = z.infer<typeof CPUArchitectureSchema>;
export type Compatibility = z.infer<typeof CompatibilitySchema>;
export type ContainerCondition = z.infer<typeof ContainerConditionSchema>;
/** One container of a task definition. */
export type ContainerDefinition = z.infer<typeof ContainerDefinitionSchema>;
/** A `dependsOn` entry: `containerName` and `condition`. */
export type ContainerDependency = z.infer<typeof ContainerDependencySchema>;
export type ContainerRestartPolicy = z.infer<typeof ContainerRestartPolicySchema>;
/** DescribeTaskDefinition output: `{ taskDefinition, tags }`. */
export type DescribeTaskDefinitionResponse = z.infer<typeof DescribeTaskDefinitionResponseSchema>;
export type Device = z.infer<typeof DeviceSchema>;
export type DeviceCgroupPermission = z.infer<typeof DeviceCgroupPermissionSchema>;
export type DockerVolumeConfiguration = z.infer<typeof DockerVolumeConfigurationSchema>;
export type EFSAuthorizationConfig = z.infer<typeof EFSAuthorizationConfigSchema>;
export type EFSAuthorizationConfigIAM = z.infer<typeof EFSAuthorizationConfigIAMSchema>;
export type EFSTransitEncryption = z.infer<typeof EFSTransitEncryptionSchema>;
export type EFSVolumeConfiguration = z.infer<typeof EFSVolumeConfigurationSchema>;
export type EnvironmentFile = z.infer<typeof EnvironmentFileSchema>;
export type EnvironmentFileType = z.infer<typeof EnvironmentFileTypeSchema>;
export type EphemeralStorage = z.infer<typeof EphemeralStorageSchema>;
export type FSxWindowsFileServerAuthorizationConfig = z.infer<
  typeof FSxWindowsFileServerAuthorizationConfigSchema
>;
export type FSxWindowsFileServerVolumeConfiguration = z.infer<
  typeof FSxWindowsFileServerVolumeConfigurationSchema
>;
export type FirelensConfiguration = z.infer<typeof FirelensConfigurationSchema>;
export type FirelensConfigurationType = z.infer<typeof FirelensConfigurationTypeSchema>;
/** A container health check (`command`, `interval`, `timeout`, `retries`, `startPeriod`). */
export type HealthCheck = z.infer<typeof HealthCheckSchema>;
export type HostEntry = z.infer<typeof HostEntrySchema>;
export type HostVolumeProperties = z.infer<typeof HostVolumePropertiesSchema>;
export type InferenceAccelerator = z.infer<typeof InferenceAcceleratorSchema>;
export type IpcMode = z.infer<typeof IpcModeSchema>;
export type KernelCapabilities = z.infer<typeof KernelCapabilitiesSchema>;
/** An environment variable (or proxy property): `name`, `value`. */
export type KeyValuePair = z.infer<typeof KeyValuePairSchema>;
/** Linux-specific container settings (capabilities, devices, init process, tmpfs, ...). */
export type LinuxParameters = z.infer<typeof LinuxParametersSchema>;
/** A container log driver and its options. */
export type LogConfiguration = z.infer<typeof LogConfigurationSchema>;
export type LogDriver = z.infer<typeof LogDriverSchema>;
/** A container mount of a task volume. */
export type MountPoint = z.infer<typeof MountPointSchema>;
export type NetworkMode = z.infer<typeof NetworkModeSchema>;
export type OSFamily = z.infer<typeof OSFamilySchema>;
export type PidMode = z.infer<typeof PidModeSchema>;
export type PortMapping = z.infer<typeof PortMappingSchema>;
export type ProxyConfiguration = z.infer<typeof ProxyConfigurationSchema>;
export type ProxyConfigurationType = z.infer<typeof ProxyConfigurationTypeSchema>;
/** The RegisterTaskDefinition request: what every parse returns and every transform produces. */
export type RegisterTaskDefinitionRequest = z.infer<typeof RegisterTaskDefinitionRequestSchema>;
export type RepositoryCredentials = z.infer<typeof RepositoryCredentialsSchema>;
export type ResourceRequirement = z.infer<typeof ResourceRequirementSchema>;
export type ResourceType = z.infer<typeof ResourceTypeSchema>;
/** `cpuArchitecture` and `operatingSystemFamily`. */
export type RuntimePlatform = z.infer<typeof RuntimePlatformSchema>;
export type Scope = z.infer<typeof ScopeSchema>;
export type Secret = z.infer<typeof SecretSchema>;
export type SystemControl = z.infer<typeof SystemControlSchema>;
/** A task-definition tag (`key`, `value`). */
export type Tag = z.infer<typeof TagSchema>;
/** A task definition as DescribeTaskDefinition returns it (with read-only fields). */
export type TaskDefinition = z.infer<typeof TaskDefinitionSchema>;
export type TaskDefinitionPlacementConstraint = z.infer<typeof TaskDefinitionPlacementConstraintSchema>;
export type TaskDefinitionPlacementConstraintType = z.infer<
  typeof TaskDefinitionPlacementConstraintTypeSchema
>;
export type TaskDefinitionStatus = z.infer<typeof TaskDefinitionStatusSchema>;
export type Tmpfs = z.infer<typeof TmpfsSchema>;
export type TransportProtocol = z.infer<typeof TransportProtocolSchema>;
export type Ulimit = z.infer<typeof UlimitSchema>;
export type UlimitName = z.infer<typeof UlimitNameSchema>;
export type VersionConsistency = z.infer<typeof VersionConsistencySchema>;
/** A task volume. */
export type Volume = z.infer<typeof VolumeSchema>;
export type VolumeFrom = z.infer<typeof VolumeFromSchema>;
