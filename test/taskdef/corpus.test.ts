import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTaskDefinitionJson } from '../../src/taskdef/parse-input.js';
import { validateAgainstModel } from '../../src/taskdef/validate-model.js';

const dir = join(import.meta.dirname, '../corpus/taskdefs');
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .sort();

/**
 * What each real-world file is, as far as src/taskdef can tell: `valid` (parses and passes the
 * model validator with the ECS limits), `parse-error` (not a task definition: invalid JSON, wrong
 * top-level value, unknown fields, bad enums), `limit-error` (parses, but ECS would refuse it).
 * Every entry was checked by hand against the corpus INDEX.tsv notes.
 */
const EXPECTED: Record<string, 'valid' | 'parse-error' | 'limit-error'> = {
  'Abdelali12-codes__ecs-blue-green-codepipeline-cdk__taskdef.json': 'parse-error', // a JSON string
  'DataDog__documentation__static_resources_json_datadog-agent-ecs-managed-instances-sidecar.json':
    'parse-error', // trailing comma
  'aws-observability__aws-otel-collector__examples_ecs_aws-cloudwatch_ecs-ec2-instance-daemon.json':
    'parse-error', // {{command}}
  'aws-observability__aws-otel-collector__examples_ecs_aws-prometheus_ecs-ec2-task-def.json': 'parse-error', // networkMode "default"
  'aws-samples__amazon-cloudwatch-container-insights__ecs-task-definition-templates_deployment-mode_replica-service_cwagent-prometheus_cwagent-prometheus-task-definition.json':
    'parse-error', // "{{networkmode}}"
  'aws-samples__amazon-ecs-firelens-examples__examples_fluent-bit_dynatrace_task-definition.json':
    'parse-error', // missing comma
  'aws__amazon-ecs-agent__agent_functional_tests_testdata_taskdefinitions_container-health_task-definition.json':
    'parse-error', // bare $$$$START_PERIOD$$$$
  'aws__amazon-ecs-agent__agent_functional_tests_testdata_taskdefinitions_iam-roles_task-definition.json':
    'parse-error', // "$$$NETWORK_MODE$$$"
  'aws__amazon-ecs-agent__agent_functional_tests_testdata_taskdefinitions_nginx_task-definition.json':
    'parse-error', // portBindings
  'aws__amazon-ecs-agent__agent_functional_tests_testdata_taskdefinitions_task-elastic-inference_task-definition.json':
    'parse-error', // inferenceDevices
  'aws__amazon-ecs-agent__agent_functional_tests_testdata_taskdefinitions_telemetry-windows_task-definition.json':
    'parse-error', // bare $$$$CPUSHARE$$$$
  'hapchoke__try_ecschedule__ecspresso_ecs-task-def.jsonnet.json': 'parse-error', // "" enums
  'kayac__ecspresso__tests_td.json': 'limit-error', // App Mesh proxy container missing
  'slacgismo__OpenADR_demo__terraform_templates_ecs_worker_devices_worker_task_definition.json.tpl.json':
    'parse-error', // container list
};

describe('Corpus: test/corpus/taskdefs', () => {
  it('holds the 50 task-definition documents the expectations describe', () => {
    expect(files).toHaveLength(50);
    for (const name of Object.keys(EXPECTED)) expect(files).toContain(name);
  });

  it.each(files)(
    '%s parses to a request or to problems that each name a path and say what is wrong',
    (name) => {
      // Prepare
      const text = readFileSync(join(dir, name), 'utf8');

      // Act
      const parsed = parseTaskDefinitionJson(text);
      const problems = parsed.ok ? validateAgainstModel(parsed.request) : parsed.errors;

      // Assess
      for (const problem of problems) {
        expect(problem.path.length).toBeGreaterThan(0);
        expect(problem.message.length).toBeGreaterThan(0);
      }
      const outcome = !parsed.ok ? 'parse-error' : problems.length > 0 ? 'limit-error' : 'valid';
      expect(outcome, JSON.stringify(problems)).toBe(EXPECTED[name] ?? 'valid');
    },
  );
});
