import { describe, expect, it } from 'vitest';
import { retargetForWaas, type TwinContainer } from '../../src/admission/waas-retarget.js';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { embedTaskDefinition } from '../../src/embed/embed.js';
import { appContainer, fargateTask } from '../embed/fixtures.js';

const task = fargateTask({}, [
  appContainer({
    portMappings: [
      { containerPort: 80, protocol: 'tcp' },
      { containerPort: 9100, protocol: 'tcp' },
    ],
  }),
]);

/** The twin the transform makes with WAAS on 8080 in front of port 80. */
function twin(waas = true): TwinContainer[] {
  const config = resolveEmbedConfig(waas ? { waas: { enabled: true, exposedPort: 8080, appPort: 80 } } : {});
  const result = embedTaskDefinition(task, config);
  return (result.output as { containerDefinitions: TwinContainer[] }).containerDefinitions;
}

const tg = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/0123456789abcdef';

describe('Function: retargetForWaas', () => {
  it('points a load balancer on the app port at the sidecar and the exposed port', () => {
    // Act
    const moved = retargetForWaas(
      { loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: 80 }] },
      twin(),
    );

    // Assess
    expect(moved?.loadBalancers).toEqual([
      { targetGroupArn: tg, containerName: 'ecs-admission-defender', containerPort: 8080 },
    ]);
    expect(moved?.moved).toEqual(['app:80 -> ecs-admission-defender:8080']);
  });

  it('leaves targets on ports the app keeps, and service registries alike', () => {
    // Prepare
    const metrics = { targetGroupArn: tg, containerName: 'app', containerPort: 9100 };
    const registry = {
      registryArn: 'arn:aws:servicediscovery:eu-west-1:111122223333:service/srv-1',
      containerName: 'app',
      containerPort: 80,
    };

    // Act
    const moved = retargetForWaas({ loadBalancers: [metrics], serviceRegistries: [registry] }, twin());

    // Assess
    expect(moved?.loadBalancers).toEqual([metrics]);
    expect(moved?.serviceRegistries).toEqual([
      { ...registry, containerName: 'ecs-admission-defender', containerPort: 8080 },
    ]);
  });

  it('returns nothing when the twin took no port', () => {
    // Act / Assess
    expect(
      retargetForWaas(
        { loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: 80 }] },
        twin(false),
      ),
    ).toBeUndefined();
  });
});
