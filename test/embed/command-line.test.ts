import { describe, expect, it } from 'vitest';
import { effectiveCommandLine, isUnset, needsImageConfig } from '../../src/embed/command-line.js';
import type { ImageConfig } from '../../src/embed/image-config.js';

const image: ImageConfig = { entrypoint: ['/entry'], cmd: ['serve', '--port', '80'] };
const cmdOnly: ImageConfig = { entrypoint: null, cmd: ['nginx', '-g', 'daemon off;'] };
const entryOnly: ImageConfig = { entrypoint: ['/bin/app'], cmd: null };
const neither: ImageConfig = { entrypoint: null, cmd: null };

describe('Function: effectiveCommandLine', () => {
  it.each([
    [
      'entryPoint and command: image ignored',
      { entryPoint: ['sh', '-c'], command: ['echo hi'] },
      image,
      ['sh', '-c', 'echo hi'],
    ],
    ['entryPoint only: image CMD dropped', { entryPoint: ['/x'] }, image, ['/x']],
    ['entryPoint only, no image config needed', { entryPoint: ['/x'] }, undefined, ['/x']],
    ['command only: image ENTRYPOINT + command', { command: ['worker'] }, image, ['/entry', 'worker']],
    ['command only, image without ENTRYPOINT', { command: ['worker'] }, cmdOnly, ['worker']],
    ['neither: image ENTRYPOINT + CMD', {}, image, ['/entry', 'serve', '--port', '80']],
    ['neither, CMD-only image', {}, cmdOnly, ['nginx', '-g', 'daemon off;']],
    ['neither, ENTRYPOINT-only image', {}, entryOnly, ['/bin/app']],
    ['neither, empty image', {}, neither, []],
    ['entryPoint [] counts as unset', { entryPoint: [], command: ['x'] }, image, ['/entry', 'x']],
    ['command [] counts as unset', { command: [] }, image, ['/entry', 'serve', '--port', '80']],
    ['command only, unknown image', { command: ['worker'] }, undefined, undefined],
    ['neither, unknown image', {}, undefined, undefined],
  ])('%s', (_what, container, config, argv) => {
    expect(effectiveCommandLine(container, config)).toEqual(argv);
  });
});

describe('Function: needsImageConfig', () => {
  it.each([
    [{ entryPoint: ['/x'] }, false],
    [{ entryPoint: [] }, true],
    [{}, true],
  ])('%j needs the image config: %s', (container, needed) => {
    expect(needsImageConfig(container)).toBe(needed);
  });

  it('treats null, undefined and [] as unset', () => {
    expect([isUnset(null), isUnset(undefined), isUnset([]), isUnset([''])]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});
