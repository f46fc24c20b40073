import type {
  ContainerDefinition,
  KeyValuePair,
  LogConfiguration,
  PortMapping,
  RegisterTaskDefinitionRequest,
} from '../taskdef/types.js';
import type { EmbedConfig } from './config.js';
import {
  AUDIT_PATH,
  AUDIT_VOLUME,
  DEFENDER_PATH,
  DEFENDER_VOLUME,
  SIDECAR_ENV,
  sidecarHealthCheck,
} from './layout.js';
import { DEFENDER_LABEL, type DefenderRecord } from './marker.js';

/** The defender image for the task's CPU architecture (X86_64 unless runtimePlatform says ARM64). */
export function defenderImage(request: RegisterTaskDefinitionRequest, config: EmbedConfig): string {
  return request.runtimePlatform?.cpuArchitecture === 'ARM64' ? config.images.ARM64 : config.images.X86_64;
}

/** Options of an awslogs configuration the sidecar shares with the app (same group and region). */
const SHARED_AWSLOGS_OPTIONS = [
  'awslogs-group',
  'awslogs-region',
  'awslogs-create-group',
  'awslogs-endpoint',
];

/**
 * When the app containers log with awslogs, the sidecar logs to the same group (and region) with
 * its own stream prefix, so its messages sit next to the app's without mixing with them.
 */
function sidecarLogging(
  apps: readonly ContainerDefinition[],
  streamPrefix: string,
): LogConfiguration | undefined {
  const source = apps.find((c) => c.logConfiguration?.logDriver === 'awslogs')?.logConfiguration;
  if (source?.options?.['awslogs-group'] === undefined) return undefined;
  const options: Record<string, string> = {};
  for (const key of SHARED_AWSLOGS_OPTIONS) {
    const value = source.options[key];
    if (value !== undefined) options[key] = value;
  }
  options['awslogs-stream-prefix'] = streamPrefix;
  return { logDriver: 'awslogs', options };
}

/**
 * The defender sidecar: the agent that fetches policies, fills the shared volume and tails audits.
 * `apps` are the containers it serves (the wrapped ones), `record` what strip needs, kept in its label,
 * `portMappings` the WAAS proxy's exposed port, when WAAS took the app's.
 */
export function buildSidecar(
  request: RegisterTaskDefinitionRequest,
  config: EmbedConfig,
  apps: readonly ContainerDefinition[],
  record: DefenderRecord,
  portMappings: readonly PortMapping[] = [],
): ContainerDefinition {
  const environment: KeyValuePair[] = [
    { name: SIDECAR_ENV.policyUrl, value: config.policyUrl },
    ...(config.token !== undefined ? [{ name: SIDECAR_ENV.token, value: config.token }] : []),
    { name: SIDECAR_ENV.family, value: request.family },
    {
      name: SIDECAR_ENV.containers,
      value: JSON.stringify(apps.map((c) => ({ name: c.name ?? '', image: c.image ?? '' }))),
    },
    ...Object.entries(config.sidecarEnvironment).map(([name, value]) => ({ name, value })),
  ];
  const logConfiguration = sidecarLogging(apps, config.logStreamPrefix ?? config.sidecarName);
  return {
    name: config.sidecarName,
    image: defenderImage(request, config),
    cpu: config.sidecarCpu,
    memoryReservation: config.sidecarMemoryReservation,
    essential: config.essential,
    ...(portMappings.length > 0 ? { portMappings: [...portMappings] } : {}),
    environment,
    ...(config.tokenSecretArn !== undefined
      ? { secrets: [{ name: SIDECAR_ENV.token, valueFrom: config.tokenSecretArn }] }
      : {}),
    mountPoints: [
      { sourceVolume: DEFENDER_VOLUME, containerPath: DEFENDER_PATH, readOnly: false },
      { sourceVolume: AUDIT_VOLUME, containerPath: AUDIT_PATH, readOnly: false },
    ],
    healthCheck: sidecarHealthCheck(),
    ...(logConfiguration !== undefined ? { logConfiguration } : {}),
    dockerLabels: { [DEFENDER_LABEL]: JSON.stringify(record) },
  };
}
