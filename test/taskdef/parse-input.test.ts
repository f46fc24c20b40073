import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ParseResult,
  parseTaskDefinitionInput,
  parseTaskDefinitionJson,
  READ_ONLY_FIELDS,
} from '../../src/taskdef/parse-input.js';

const container = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'nginx:1.27', ...extra });
const request = (extra: Record<string, unknown> = {}) => ({
  family: 'web',
  containerDefinitions: [container()],
  ...extra,
});

const described = {
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
  family: 'web',
  containerDefinitions: [container()],
  revision: 7,
  status: 'ACTIVE',
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
  compatibilities: ['EC2', 'FARGATE'],
  registeredAt: '2024-05-01T10:00:00.123000+02:00',
  registeredBy: 'arn:aws:iam::123456789012:user/alice',
  deregisteredAt: 1714550400.5,
  deleteRequestedAt: '2024-06-01T10:00:00Z',
};

function expectOk(result: ParseResult): Extract<ParseResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result;
}

describe('Function: parseTaskDefinitionInput', () => {
  it('accepts a RegisterTaskDefinition request as is', () => {
    // Prepare
    const input = request({ tags: [{ key: 'team', value: 'payments' }] });

    // Act
    const result = expectOk(parseTaskDefinitionInput(input));

    // Assess
    expect(result.form).toBe('register-request');
    expect(result.request).toEqual(input);
    expect(result.stripped).toEqual([]);
    expect(result.source).toEqual({ family: 'web' });
  });

  it('takes DescribeTaskDefinition output apart, carrying its tags and stripping read-only fields', () => {
    // Prepare
    const input = { taskDefinition: described, tags: [{ key: 'team', value: 'payments' }] };

    // Act
    const result = expectOk(parseTaskDefinitionInput(input));

    // Assess
    expect(result.form).toBe('describe-output');
    expect(result.request).toEqual({
      family: 'web',
      containerDefinitions: [container()],
      tags: [{ key: 'team', value: 'payments' }],
    });
    expect([...result.stripped].sort()).toEqual(
      READ_ONLY_FIELDS.map((field) => `taskDefinition.${field}`).sort(),
    );
    expect(result.source).toEqual({ family: 'web', revision: 7, arn: described.taskDefinitionArn });
  });

  it('strips the read-only fields of a bare described task definition and lists them', () => {
    // Act
    const result = expectOk(parseTaskDefinitionInput(described));

    // Assess
    expect(result.form).toBe('task-definition');
    expect(result.request).toEqual({ family: 'web', containerDefinitions: [container()] });
    expect([...result.stripped].sort()).toEqual(
      [
        'taskDefinitionArn',
        'revision',
        'status',
        'requiresAttributes',
        'compatibilities',
        'registeredAt',
        'registeredBy',
        'deregisteredAt',
        'deleteRequestedAt',
      ].sort(),
    );
  });

  it('accepts JS SDK DescribeTaskDefinition output (Date timestamps, $metadata)', () => {
    // Prepare
    const input = {
      $metadata: { httpStatusCode: 200, requestId: 'r-1' },
      taskDefinition: { ...described, registeredAt: new Date('2024-05-01T08:00:00Z') },
    };

    // Act
    const result = expectOk(parseTaskDefinitionInput(input));

    // Assess
    expect(result.form).toBe('describe-output');
    expect(result.stripped).toContain('$metadata');
    expect(result.request).toEqual({ family: 'web', containerDefinitions: [container()] });
  });

  it('treats null members as absent, as the AWS CLI does, and reports the normalisation', () => {
    // Prepare
    const input = request({
      containerDefinitions: [container({ command: null, entryPoint: ['sh'] })],
      cpu: null,
    });

    // Act
    const result = expectOk(parseTaskDefinitionInput(input));

    // Assess
    expect(result.request.containerDefinitions[0]).toEqual(container({ entryPoint: ['sh'] }));
    expect(result.request).not.toHaveProperty('cpu');
    expect(result.normalized).toEqual([
      { path: 'containerDefinitions[0].command', message: 'null treated as absent' },
      { path: 'cpu', message: 'null treated as absent' },
    ]);
  });

  it('writes task-level cpu and memory numbers as strings (the CloudFormation habit)', () => {
    // Act
    const result = expectOk(parseTaskDefinitionInput(request({ cpu: 256, memory: 512 })));

    // Assess
    expect(result.request.cpu).toBe('256');
    expect(result.request.memory).toBe('512');
    expect(result.normalized.map((n) => n.path)).toEqual(['cpu', 'memory']);
  });

  it('keeps container-level cpu as a number and task-level "1 vcpu" strings untouched', () => {
    // Act
    const result = expectOk(
      parseTaskDefinitionInput(
        request({ cpu: '1 vcpu', memory: '2 GB', containerDefinitions: [container({ cpu: 128 })] }),
      ),
    );

    // Assess
    expect(result.request.cpu).toBe('1 vcpu');
    expect(result.request.memory).toBe('2 GB');
    expect(result.request.containerDefinitions[0]?.cpu).toBe(128);
  });

  it('strips aws:-prefixed tags, which ECS refuses on register', () => {
    // Prepare
    const input = {
      taskDefinition: described,
      tags: [
        { key: 'aws:cloudformation:stack-name', value: 'web' },
        { key: 'team', value: 'payments' },
      ],
    };

    // Act
    const result = expectOk(parseTaskDefinitionInput(input));

    // Assess
    expect(result.request.tags).toEqual([{ key: 'team', value: 'payments' }]);
    expect(result.stripped).toContain('tags[0]');
  });

  it('does not modify its input', () => {
    // Prepare
    const input = {
      taskDefinition: { ...described, cpu: 256, containerDefinitions: [container({ command: null })] },
    };
    const before = structuredClone(input);

    // Act
    parseTaskDefinitionInput(input);

    // Assess
    expect(input).toEqual(before);
  });

  const errorCases: { name: string; input: unknown; errors: { path: string; message: string | RegExp }[] }[] =
    [
      {
        name: 'null',
        input: null,
        errors: [{ path: '$', message: 'expected a task definition object, got null' }],
      },
      {
        name: 'a JSON string',
        input: '{"family": "web"}',
        errors: [{ path: '$', message: 'expected a task definition object, got a JSON string' }],
      },
      {
        name: 'a bare container list',
        input: [container()],
        errors: [{ path: '$', message: /got a list; .*"family".*"containerDefinitions"/ }],
      },
      {
        name: 'a number',
        input: 42,
        errors: [{ path: '$', message: 'expected a task definition object, got a number' }],
      },
      {
        name: 'a missing family',
        input: { containerDefinitions: [container()] },
        errors: [{ path: 'family', message: 'required' }],
      },
      {
        name: 'a container memory given as a string',
        input: request({ containerDefinitions: [container(), container({ name: 'b', memory: '512' })] }),
        errors: [{ path: 'containerDefinitions[1].memory', message: 'expected a number, got a string' }],
      },
      {
        name: 'a fractional integer',
        input: request({ containerDefinitions: [container({ memory: 1.5 })] }),
        errors: [{ path: 'containerDefinitions[0].memory', message: 'expected a whole number, got 1.5' }],
      },
      {
        name: 'an unknown network mode',
        input: request({ networkMode: 'default' }),
        errors: [{ path: 'networkMode', message: '"default" is not one of bridge, host, awsvpc, none' }],
      },
      {
        name: 'a Docker field ECS does not know',
        input: request({ containerDefinitions: [container({ portBindings: [] })] }),
        errors: [
          {
            path: 'containerDefinitions[0].portBindings',
            message: 'unknown field (ECS does not accept it); did you mean portMappings?',
          },
        ],
      },
      {
        name: 'an unknown field with no near match',
        input: request({ containerDefinitions: [container({ inferenceDevices: [] })] }),
        errors: [
          {
            path: 'containerDefinitions[0].inferenceDevices',
            message: 'unknown field (ECS does not accept it)',
          },
        ],
      },
      {
        name: 'a misspelt task field',
        input: request({ executionRoleARN: 'arn' }),
        errors: [
          {
            path: 'executionRoleARN',
            message: 'unknown field (ECS does not accept it); did you mean executionRoleArn?',
          },
        ],
      },
      {
        name: 'a map value of the wrong type',
        input: request({ containerDefinitions: [container({ dockerLabels: { 'com.example.team': 7 } })] }),
        errors: [
          {
            path: 'containerDefinitions[0].dockerLabels["com.example.team"]',
            message: 'expected a string, got a number',
          },
        ],
      },
      {
        name: 'a null inside a list',
        input: request({ containerDefinitions: [container({ command: ['run', null] })] }),
        errors: [{ path: 'containerDefinitions[0].command[1]', message: 'expected a string, got null' }],
      },
      {
        name: 'a missing required member of a nested structure',
        input: request({ containerDefinitions: [container({ dependsOn: [{ containerName: 'db' }] })] }),
        errors: [{ path: 'containerDefinitions[0].dependsOn[0].condition', message: 'required' }],
      },
      {
        name: 'an error inside DescribeTaskDefinition output, named by its path in the input',
        input: { taskDefinition: { ...described, containerDefinitions: [container({ cpu: '256' })] } },
        errors: [
          { path: 'taskDefinition.containerDefinitions[0].cpu', message: 'expected a number, got a string' },
        ],
      },
      {
        name: 'a Docker field inside DescribeTaskDefinition output, with its suggestion',
        input: { taskDefinition: { ...described, containerDefinitions: [container({ env: [] })] } },
        errors: [
          {
            path: 'taskDefinition.containerDefinitions[0].env',
            message: 'unknown field (ECS does not accept it); did you mean environment?',
          },
        ],
      },
      {
        name: 'CloudFormation property names',
        input: { Family: 'web', containerDefinitions: [container()] },
        errors: [
          { path: 'family', message: 'required' },
          { path: 'Family', message: 'unknown field (ECS does not accept it); did you mean family?' },
        ],
      },
      {
        name: 'bad outer tags of DescribeTaskDefinition output',
        input: { taskDefinition: described, tags: [{ key: 5 }] },
        errors: [{ path: 'tags[0].key', message: 'expected a string, got a number' }],
      },
      {
        name: 'an unknown member beside taskDefinition',
        input: { taskDefinition: described, nextToken: 'x' },
        errors: [{ path: 'nextToken', message: 'unknown field (ECS does not accept it)' }],
      },
      {
        name: 'a taskDefinition that is not an object',
        input: { taskDefinition: 'web:7' },
        errors: [{ path: 'taskDefinition', message: 'expected a task definition object' }],
      },
      {
        name: 'tags both inside and beside taskDefinition',
        input: { taskDefinition: { ...described, tags: [] }, tags: [] },
        errors: [{ path: 'tags', message: /both here and in taskDefinition\.tags/ }],
      },
      {
        name: 'containerDefinitions that is an object',
        input: { family: 'web', containerDefinitions: container() },
        errors: [{ path: 'containerDefinitions', message: 'expected a list, got an object' }],
      },
    ];

  it.each(errorCases)('rejects $name naming the path', ({ input, errors }) => {
    // Act
    const result = parseTaskDefinitionInput(input);

    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(errors.length);
    errors.forEach((expected, i) => {
      expect(result.errors[i]?.path).toBe(expected.path);
      if (typeof expected.message === 'string') expect(result.errors[i]?.message).toBe(expected.message);
      else expect(result.errors[i]?.message).toMatch(expected.message);
    });
  });

  it('refuses absurdly deep nesting instead of overflowing the stack', () => {
    // Prepare
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];

    // Act
    const result = parseTaskDefinitionInput(
      request({ containerDefinitions: [container({ command: deep })] }),
    );

    // Assess
    expect(result).toEqual({
      ok: false,
      errors: [{ path: '$', message: 'nested more than 64 levels deep; not a task definition' }],
    });
  });

  it('reports every problem at once, not only the first', () => {
    // Act
    const result = parseTaskDefinitionInput({
      networkMode: 'default',
      containerDefinitions: [container({ memory: 'x' })],
    });

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.map((e) => e.path).sort()).toEqual([
        'containerDefinitions[0].memory',
        'family',
        'networkMode',
      ]);
  });

  it('never repeats an environment value in its messages', () => {
    // Prepare
    const input = request({
      containerDefinitions: [container({ environment: [{ name: 'TOKEN', value: 987654321 }] })],
    });

    // Act
    const result = parseTaskDefinitionInput(input);

    // Assess
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('987654321');
  });
});

describe('Function: parseTaskDefinitionJson', () => {
  const jsonCases: { name: string; text: string; message: string }[] = [
    {
      name: 'a missing comma',
      text: '{\n  "family": "web"\n  "containerDefinitions": []\n}',
      message: `invalid JSON at line 3, column 3: expected ',' or '}' after a property value, found '"'`,
    },
    {
      name: 'a trailing comma',
      text: '[1,\n2,\n]',
      message: "invalid JSON at line 3, column 1: trailing comma before ']'",
    },
    {
      name: 'an unterminated string',
      text: '{"family": "web',
      message: 'invalid JSON at line 1, column 16: unterminated string',
    },
    {
      name: 'a truncated document',
      text: '{"family": ',
      message: 'invalid JSON at line 1, column 12: expected a value, found the end of the input',
    },
    {
      name: 'text after the document',
      text: '{} {}',
      message: "invalid JSON at line 1, column 4: unexpected '{' after the end of the JSON value",
    },
    {
      name: 'an unquoted template placeholder',
      text: '{"cpu": $CPU}',
      message: "invalid JSON at line 1, column 9: expected a value, found '$'",
    },
    { name: 'empty input', text: '  \n', message: 'invalid JSON: the input is empty' },
  ];

  it.each(jsonCases)('reports $name with its line and column', ({ text, message }) => {
    // Act
    const result = parseTaskDefinitionJson(text);

    // Assess
    expect(result).toEqual({ ok: false, errors: [{ path: '$', message }] });
  });

  it('points at line 16, column 10 in the OpenTelemetry sample with a template placeholder', () => {
    // Prepare
    const text = readFileSync(
      join(
        import.meta.dirname,
        '../corpus/taskdefs/aws-observability__aws-otel-collector__examples_ecs_aws-cloudwatch_ecs-ec2-instance-daemon.json',
      ),
      'utf8',
    );

    // Act
    const result = parseTaskDefinitionJson(text);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/^invalid JSON at line 16, column 10: /);
  });

  it('locates an error after absurdly deep nesting without overflowing the stack', () => {
    // Act
    const result = parseTaskDefinitionJson(`${'['.repeat(200_000)}}`);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/^invalid JSON at line 1, column \d+: /);
  });

  it('ignores a UTF-8 byte-order mark', () => {
    // Act
    const result = parseTaskDefinitionJson(`\uFEFF${JSON.stringify(request())}`);

    // Assess
    expect(expectOk(result).request).toEqual(request());
  });

  it('does not quote the document in its messages', () => {
    // Act
    const result = parseTaskDefinitionJson('{"environment": [{"name": "TOKEN", "value": "s3cr3t"}],,}');

    // Assess
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
  });
});
