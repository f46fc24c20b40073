import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import type { EmbedResult } from '../../src/embed/embed.js';
import { embedWithResolver } from '../../src/embed/embed-with-resolver.js';
import { ImageResolutionError } from '../../src/embed/errors.js';
import { imagesNeedingConfig } from '../../src/embed/images-needing-config.js';
import { ImageReferenceError } from '../../src/images/errors.js';
import { parseImageReference } from '../../src/images/reference.js';
import { RegistryImageResolver } from '../../src/images/registry-resolver.js';
import { parseTaskDefinitionInput } from '../../src/taskdef/parse-input.js';
import { type LocalRegistry, pushImage, startRegistry } from './support/local-registry.js';
import type { TestImageSpec } from './support/oci-layout.js';

const CORPUS = join(import.meta.dirname, '..', 'corpus', 'taskdefs');

/**
 * SYNTHETIC configurations for the public images the corpus names: the real registries cannot be
 * reached here, so each is mirrored into the loopback registry under the same repository name and
 * tag with a plausible ENTRYPOINT/CMD (modelled on the real images where known). Unknown images get
 * a CMD naming a binary after the repository. Every mirror is an amd64 + arm64 index.
 */
const SYNTHETIC: Record<string, Pick<TestImageSpec, 'entrypoint' | 'cmd'>> = {
  'library/nginx': { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'] },
  'nginx/nginx': { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'] },
  'library/redis': { entrypoint: ['docker-entrypoint.sh'], cmd: ['redis-server'] },
  'amazon/aws-otel-collector': {
    entrypoint: ['/awscollector'],
    cmd: ['--config=/etc/ecs/ecs-default-config.yaml'],
  },
  'devops-workshop-app': { entrypoint: ['docker-entrypoint.sh'], cmd: ['npm', 'start'] },
};

function syntheticConfig(repository: string): Pick<TestImageSpec, 'entrypoint' | 'cmd'> {
  return SYNTHETIC[repository] ?? { cmd: [`/usr/local/bin/${repository.split('/').at(-1) ?? 'app'}`] };
}

interface Row {
  file: string;
  off: string;
  on: string;
}

function outcomeOf(result: EmbedResult): string {
  return result.decision.outcome;
}

describe('Function: embedWithResolver (corpus, look-up on versus off)', () => {
  let registry: LocalRegistry;
  const inputs: { file: string; value: unknown }[] = [];
  const mirrors: Record<string, string> = {};
  const mirrored = new Set<string>();
  const unmirrorable = new Set<string>();

  beforeAll(async () => {
    registry = await startRegistry();
    const config = resolveEmbedConfig({});
    const toPush = new Map<string, { repository: string; tag: string }>();
    for (const file of readdirSync(CORPUS)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(join(CORPUS, file), 'utf8'));
      } catch {
        value = readFileSync(join(CORPUS, file), 'utf8');
      }
      inputs.push({ file, value });
      const parsed = parseTaskDefinitionInput(value);
      if (!parsed.ok) continue;
      for (const { image } of imagesNeedingConfig(parsed.request, config)) {
        try {
          const ref = parseImageReference(image);
          if (ref.digest !== undefined) {
            unmirrorable.add(image); // content-addressed: a synthetic copy cannot have that digest
            continue;
          }
          mirrors[ref.registry] = registry.host;
          toPush.set(`${ref.repository}:${ref.tag}`, {
            repository: ref.repository,
            tag: ref.tag ?? 'latest',
          });
          mirrored.add(image);
        } catch (error) {
          if (!(error instanceof ImageReferenceError)) throw error;
          unmirrorable.add(image);
        }
      }
    }
    await Promise.all(
      [...toPush.values()].map(({ repository, tag }) => {
        const spec = syntheticConfig(repository);
        return pushImage(registry.host, repository, tag, [
          { ...spec, architecture: 'amd64' },
          { ...spec, architecture: 'arm64', variant: 'v8' },
        ]);
      }),
    );
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('protects more corpus task definitions with look-up on, and every outcome stays clean', async () => {
    // Prepare
    const config = resolveEmbedConfig({});
    const resolver = new RegistryImageResolver({ registryMirrors: mirrors });
    const rows: Row[] = [];

    // Act
    for (const { file, value } of inputs) {
      const off = outcomeOf(await embedWithResolver(value, config, undefined));
      let on: string;
      try {
        on = outcomeOf(await embedWithResolver(value, config, resolver.resolveConfig));
      } catch (error) {
        if (!(error instanceof ImageResolutionError)) throw error;
        on = 'rejected (look-up failed)';
      }
      rows.push({ file, off, on });
    }

    // Assess
    const count = (key: 'off' | 'on', outcome: string) => rows.filter((r) => r[key] === outcome).length;
    const summary = {
      taskDefinitions: rows.length,
      protectedOff: count('off', 'protected'),
      protectedOn: count('on', 'protected'),
      rejectedOff: count('off', 'rejected'),
      rejectedOn: count('on', 'rejected') + count('on', 'rejected (look-up failed)'),
      skipped: count('on', 'skipped'),
      alreadyProtected: count('on', 'already-protected'),
      imagesMirrored: mirrored.size,
      imagesNotMirrorable: [...unmirrorable],
      changed: rows.filter((r) => r.off !== r.on),
    };
    process.stdout.write(
      `corpus image look-up (synthetic mirrored configs): ${JSON.stringify(summary, null, 2)}\n`,
    );
    expect(rows.length).toBe(readdirSync(CORPUS).filter((f) => f.endsWith('.json')).length);
    expect(summary.protectedOn).toBeGreaterThan(summary.protectedOff);
    // Look-up only ever acts on rejections: it protects, or the rejection now quotes the look-up
    // failure (template placeholders such as <IMAGE1_NAME>, which no registry can serve).
    for (const row of summary.changed) {
      expect(row.off).toBe('rejected');
      expect(['protected', 'rejected (look-up failed)']).toContain(row.on);
    }
    expect(count('on', 'rejected (look-up failed)')).toBe(unmirrorable.size);
    expect(
      rows.every((r) =>
        ['protected', 'already-protected', 'skipped', 'rejected', 'rejected (look-up failed)'].includes(r.on),
      ),
    ).toBe(true);
  });
});
