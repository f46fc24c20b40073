import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type EmbedConfig, resolveEmbedConfig } from '../../src/embed/config.js';
import { type ImageConfig, ImageConfigSchema } from '../../src/embed/image-config.js';

/** test/golden: one folder per case. */
export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

/** Every file a case folder may hold; anything else is an orphan and fails the suite. */
export const CASE_FILES = {
  input: 'input.json',
  config: 'config.json',
  images: 'images.json',
  expected: 'expected.json',
  errors: 'expected-errors.json',
} as const;

/** What a rejection's golden file holds. */
export const ExpectedErrorsSchema = z.strictObject({
  rejection: z.enum(['invalid-input', 'cannot-protect']),
  errors: z.array(z.strictObject({ path: z.string(), message: z.string() })),
});

export interface GoldenCase {
  name: string;
  dir: string;
  input: unknown;
  config: EmbedConfig;
  images: ReadonlyMap<string, ImageConfig>;
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

/** The cases, in name order. */
export function goldenCases(): GoldenCase[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const dir = join(GOLDEN_DIR, name);
      const file = (f: string) => join(dir, f);
      const images = existsSync(file(CASE_FILES.images))
        ? z.record(z.string(), ImageConfigSchema).parse(readJson(file(CASE_FILES.images)))
        : {};
      return {
        name,
        dir,
        input: readJson(file(CASE_FILES.input)),
        config: resolveEmbedConfig(
          existsSync(file(CASE_FILES.config)) ? readJson(file(CASE_FILES.config)) : {},
        ),
        images: new Map(Object.entries(images)),
      };
    });
}

/** JSON as the CLI writes it: 2 spaces and a trailing newline. */
export const asJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
