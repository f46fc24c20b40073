import { describe, expect, it } from 'vitest';
import { createDefaultImageResolver } from '../../src/images/default-resolver.js';
import { fakeFetch, recordedImage } from './support/fake-fetch.js';

describe('Function: createDefaultImageResolver', () => {
  it('builds its resolver on the first look-up and reuses it (and its cache) afterwards', async () => {
    // Prepare
    const image = recordedImage({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/x'], Cmd: [] },
    });
    const { fetchImpl, seen } = fakeFetch({
      'https://registry.example.com/v2/app/manifests/1': () =>
        new Response(image.manifestText, { headers: { 'content-type': image.mediaType } }),
      [`https://registry.example.com/v2/app/blobs/${image.configDigest}`]: () =>
        new Response(image.configText),
    });
    const resolve = createDefaultImageResolver({ fetchImpl });

    // Act
    const first = await resolve('registry.example.com/app:1', { os: 'linux', architecture: 'amd64' });
    const second = await resolve('registry.example.com/app:1', { os: 'linux', architecture: 'amd64' });

    // Assess
    expect(first).toEqual({ entrypoint: ['/x'], cmd: [], digest: image.manifestDigest });
    expect(second).toEqual(first);
    expect(seen).toHaveLength(2);
  });
});
