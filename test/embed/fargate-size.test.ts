import { describe, expect, it } from 'vitest';
import {
  FARGATE_SIZES,
  isFargateSize,
  parseCpuUnits,
  parseMemoryMiB,
  smallestFargateSize,
} from '../../src/embed/fargate-size.js';

describe('Function: parseCpuUnits', () => {
  it.each([
    ['256', 256],
    ['1024', 1024],
    ['1 vcpu', 1024],
    ['0.5 vCPU', 512],
    ['2vCPU', 2048],
    [' 4 VCPU ', 4096],
    ['0.25 vcpu', 256],
    ['0.3 vcpu', undefined],
    ['abc', undefined],
    ['', undefined],
    ['-256', undefined],
  ])('reads %j as %j CPU units', (text, units) => {
    expect(parseCpuUnits(text)).toBe(units);
  });
});

describe('Function: parseMemoryMiB', () => {
  it.each([
    ['512', 512],
    ['2 GB', 2048],
    ['2gb', 2048],
    ['0.5 GB', 512],
    ['1GiB', 1024],
    ['3072 MiB', 3072],
    ['1.3 GB', undefined],
    ['lots', undefined],
  ])('reads %j as %j MiB', (text, mib) => {
    expect(parseMemoryMiB(text)).toBe(mib);
  });
});

describe('Function: isFargateSize', () => {
  it.each([
    [256, 512, true],
    [256, 2048, true],
    [256, 3072, false],
    [512, 1024, true],
    [512, 4096, true],
    [512, 512, false],
    [1024, 8192, true],
    [2048, 16384, true],
    [4096, 30720, true],
    [4096, 31744, false],
    [8192, 16384, true],
    [8192, 20480, true],
    [8192, 18432, false],
    [16384, 32768, true],
    [16384, 40960, true],
    [16384, 36864, false],
    [16384, 122880, true],
    [128, 256, false],
  ])('cpu %i with memory %i MiB is valid: %s', (cpu, memory, valid) => {
    expect(isFargateSize({ cpu, memory })).toBe(valid);
  });

  it('lists 1 + the table of the issue', () => {
    // 3 + 4 + 7 + 13 + 23 + 12 + 12 combinations
    expect(FARGATE_SIZES.reduce((n, s) => n + s.memory.length, 0)).toBe(74);
  });
});

describe('Function: smallestFargateSize', () => {
  it.each([
    [
      { cpu: 0, memory: 0 },
      { cpu: 256, memory: 512 },
    ],
    [
      { cpu: 384, memory: 640 },
      { cpu: 512, memory: 1024 },
    ],
    [
      { cpu: 256, memory: 2049 },
      { cpu: 512, memory: 3072 },
    ],
    [
      { cpu: 1025, memory: 1 },
      { cpu: 2048, memory: 4096 },
    ],
    [
      { cpu: 4096, memory: 30721 },
      { cpu: 8192, memory: 32768 },
    ],
    [
      { cpu: 100, memory: 61441 },
      { cpu: 16384, memory: 65536 },
    ],
    [{ cpu: 16385, memory: 1 }, undefined],
    [{ cpu: 1, memory: 122881 }, undefined],
  ])('fits %j into %j', (min, size) => {
    expect(smallestFargateSize(min)).toEqual(size);
  });

  it('always returns a valid size no smaller than asked', () => {
    for (let cpu = 0; cpu <= 16384; cpu += 97) {
      for (let memory = 0; memory <= 122880; memory += 1531) {
        const size = smallestFargateSize({ cpu, memory });
        if (size === undefined) continue;
        expect(isFargateSize(size)).toBe(true);
        expect(size.cpu).toBeGreaterThanOrEqual(cpu);
        expect(size.memory).toBeGreaterThanOrEqual(memory);
      }
    }
  });
});
