import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from '../../src/images/www-authenticate.js';

describe('Function: parseWwwAuthenticate', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/nginx:pull',
          },
        },
      ],
    ],
    [
      'Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"',
      [
        {
          scheme: 'basic',
          params: {
            realm: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/',
            service: 'ecr.amazonaws.com',
          },
        },
      ],
    ],
    [
      'Bearer realm=https://quay.io/v2/auth, service=quay.io, Basic realm="x \\"quoted\\""',
      [
        { scheme: 'bearer', params: { realm: 'https://quay.io/v2/auth', service: 'quay.io' } },
        { scheme: 'basic', params: { realm: 'x "quoted"' } },
      ],
    ],
    [
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull,push"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://ghcr.io/token',
            service: 'ghcr.io',
            scope: 'repository:user/image:pull,push',
          },
        },
      ],
    ],
    ['', []],
  ])('parses %j', (header, challenges) => {
    expect(parseWwwAuthenticate(header)).toEqual(challenges);
  });
});
