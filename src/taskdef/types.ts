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
export type ContainerDefinition = z.infer<typeof ContainerDefinitionSchema>;
export type ContainerDependency = z.infer<typeof ContainerDependencySchema>;
export type ContainerRestartPolicy = z.infer<typeof ContainerRestartPolicySchema>;
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
export type HealthCheck = z.infer<typeof HealthCheckSchema>;
export type HostEntry = z.infer<typeof HostEntrySchema>;
export type HostVolumeProperties = z.infer<typeof HostVolumePropertiesSchema>;
export type InferenceAccelerator = z.infer<typeof InferenceAcceleratorSchema>;
export type IpcMode = z.infer<typeof IpcModeSchema>;
export type KernelCapabilities = z.infer<typeof KernelCapabilitiesSchema>;
export type KeyValuePair = z.infer<typeof KeyValuePairSchema>;
export type LinuxParameters = z.infer<typeof LinuxParametersSchema>;
export type LogConfiguration = z.infer<typeof LogConfigurationSchema>;
export type LogDriver = z.infer<typeof LogDriverSchema>;
export type MountPoint = z.infer<typeof MountPointSchema>;
export type NetworkMode = z.infer<typeof NetworkModeSchema>;
export type OSFamily = z.infer<typeof OSFamilySchema>;
export type PidMode = z.infer<typeof PidModeSchema>;
export type PortMapping = z.infer<typeof PortMappingSchema>;
export type ProxyConfiguration = z.infer<typeof ProxyConfigurationSchema>;
export type ProxyConfigurationType = z.infer<typeof ProxyConfigurationTypeSchema>;
export type RegisterTaskDefinitionRequest = z.infer<typeof RegisterTaskDefinitionRequestSchema>;
export type RepositoryCredentials = z.infer<typeof RepositoryCredentialsSchema>;
export type ResourceRequirement = z.infer<typeof ResourceRequirementSchema>;
export type ResourceType = z.infer<typeof ResourceTypeSchema>;
export type RuntimePlatform = z.infer<typeof RuntimePlatformSchema>;
export type Scope = z.infer<typeof ScopeSchema>;
export type Secret = z.infer<typeof SecretSchema>;
export type SystemControl = z.infer<typeof SystemControlSchema>;
export type Tag = z.infer<typeof TagSchema>;
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
export type Volume = z.infer<typeof VolumeSchema>;
export type VolumeFrom = z.infer<typeof VolumeFromSchema>;
