import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageReferenceError } from '../../src/images/errors.js';
import {
  apiHost,
  canonicalReference,
  isLoopbackHost,
  parseImageReference,
} from '../../src/images/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('Function: parseImageReference', () => {
  it.each([
    ['nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['nginx:1.25-alpine', 'docker.io', 'library/nginx', '1.25-alpine', undefined],
    ['library/nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['amazon/aws-xray-daemon', 'docker.io', 'amazon/aws-xray-daemon', 'latest', undefined],
    ['docker.io/nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['index.docker.io/library/nginx:1', 'docker.io', 'library/nginx', '1', undefined],
    [`nginx@${D}`, 'docker.io', 'library/nginx', undefined, D],
    [`nginx:1.25@${D}`, 'docker.io', 'library/nginx', '1.25', D],
    [
      'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0',
      'public.ecr.aws',
      'aws-observability/aws-otel-collector',
      'v0.40.0',
      undefined,
    ],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:abc123',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      'team/app',
      'abc123',
      undefined,
    ],
    ['ghcr.io/org/tool:main', 'ghcr.io', 'org/tool', 'main', undefined],
    ['quay.io/prometheus/node-exporter', 'quay.io', 'prometheus/node-exporter', 'latest', undefined],
    ['localhost:5000/app', 'localhost:5000', 'app', 'latest', undefined],
    ['localhost/app:dev', 'localhost', 'app', 'dev', undefined],
    ['127.0.0.1:5000/a/b/c:t', '127.0.0.1:5000', 'a/b/c', 't', undefined],
    [`registry.example.com:8443/app@${D}`, 'registry.example.com:8443', 'app', undefined, D],
    ['[::1]:5000/app:v1', '[::1]:5000', 'app', 'v1', undefined],
    ['REGISTRY.Example.com/app', 'registry.example.com', 'app', 'latest', undefined],
    ['my_org/my__app.v2-x', 'docker.io', 'my_org/my__app.v2-x', 'latest', undefined],
  ])('parses %s', (text, registry, repository, tag, digest) => {
    // Act
    const ref = parseImageReference(text);

    // Assess
    expect({ registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.digest }).toEqual({
      registry,
      repository,
      tag,
      digest,
    });
    expect(ref.original).toBe(text);
  });

  it.each([
    ['', 'empty'],
    ['<IMAGE1_NAME>', 'unfilled template placeholder'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CDK token left in a task definition, on purpose
    ['${Token[TOKEN.147]}', 'unfilled template placeholder'],
    ['{{ must_env `IMAGE` }}', 'spaces'],
    ['Nginx', 'must be lower case'],
    ['org/App:1', 'must be lower case'],
    ['nginx:', 'not a valid tag'],
    ['nginx:-bad', 'not a valid tag'],
    ['nginx@sha256:abc', 'not a digest'],
    ['nginx@md5:0123456789abcdef0123456789abcdef', 'not a digest'],
    ['host:99999/app', 'not a valid registry'],
    ['a//b', 'not a valid repository path component'],
    [`x/${'a'.repeat(260)}`, 'longer than 255'],
  ])('rejects %j naming the problem', (text, problem) => {
    // Act
    const act = () => parseImageReference(text);

    // Assess
    expect(act).toThrow(ImageReferenceError);
    expect(act).toThrow(problem);
  });
});

describe('Function: canonicalReference', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    [`nginx:1@${D}`, `docker.io/library/nginx:1@${D}`],
    [`ghcr.io/a/b@${D}`, `ghcr.io/a/b@${D}`],
  ])('writes %s in full as %s', (text, full) => {
    expect(canonicalReference(parseImageReference(text))).toBe(full);
  });
});

describe('Function: apiHost', () => {
  it('sends Docker Hub to registry-1.docker.io and every other registry to itself', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('quay.io')).toBe('quay.io');
  });
});

describe('Function: isLoopbackHost', () => {
  it.each([
    ['127.0.0.1:5000', true],
    ['127.8.9.10', true],
    ['localhost:5000', true],
    ['[::1]:5000', true],
    ['128.0.0.1', false],
    ['127.0.0.1.example.com', false],
    ['10.0.0.1:5000', false],
    ['registry.local', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('Function: parseImageReference (properties)', () => {
  // No "." here: a first component with a dot would be read as a registry host, as Docker does.
  const component = fc.stringMatching(/^[a-z0-9]{1,8}([_-][a-z0-9]{1,8}){0,2}$/);
  const reference = fc
    .record({
      registry: fc.constantFrom(
        '',
        'docker.io/',
        'ghcr.io/',
        'localhost:5000/',
        '127.0.0.1:5000/',
        'public.ecr.aws/',
      ),
      path: fc.array(component, { minLength: 1, maxLength: 3 }),
      tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
      digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/), { nil: undefined }),
    })
    .map(
      ({ registry, path, tag, digest }) =>
        `${registry}${path.join('/')}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@sha256:${digest}`}`,
    );

  it('reads its own canonical form back unchanged', () => {
    fc.assert(
      fc.property(reference, (text) => {
        const once = canonicalReference(parseImageReference(text));
        expect(canonicalReference(parseImageReference(once))).toBe(once);
      }),
    );
  });
});
