import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** What a hand-written test image declares (Dockerfile terms). `undefined` leaves the key out. */
export interface TestImageSpec {
  entrypoint?: string[] | null;
  cmd?: string[] | null;
  workingDir?: string;
  user?: string;
  architecture?: string;
  variant?: string;
  /** Padding label, to make a config blob large. */
  padding?: number;
}

export interface WrittenBlob {
  digest: string;
  size: number;
  bytes: Buffer;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function writeBlob(dir: string, bytes: Buffer): WrittenBlob {
  const digest = sha256(bytes);
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  return { digest, size: bytes.length, bytes };
}

// An empty tar archive is two 512-byte zero blocks: the smallest valid layer.
const EMPTY_TAR = Buffer.alloc(1024);

function writeImage(dir: string, spec: TestImageSpec): WrittenBlob & { config: WrittenBlob } {
  const layer = writeBlob(dir, gzipSync(EMPTY_TAR));
  const containerConfig: Record<string, unknown> = {
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  };
  if (spec.entrypoint !== undefined) containerConfig.Entrypoint = spec.entrypoint;
  if (spec.cmd !== undefined) containerConfig.Cmd = spec.cmd;
  if (spec.workingDir !== undefined) containerConfig.WorkingDir = spec.workingDir;
  if (spec.user !== undefined) containerConfig.User = spec.user;
  if (spec.padding !== undefined) containerConfig.Labels = { padding: 'x'.repeat(spec.padding) };
  const config = writeBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        created: '2026-01-01T00:00:00Z',
        architecture: spec.architecture ?? 'amd64',
        ...(spec.variant === undefined ? {} : { variant: spec.variant }),
        os: 'linux',
        config: containerConfig,
        rootfs: { type: 'layers', diff_ids: [sha256(EMPTY_TAR)] },
        history: [{ created: '2026-01-01T00:00:00Z', created_by: 'test image written by hand' }],
      }),
    ),
  );
  const manifest = writeBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: config.digest,
          size: config.size,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: layer.digest,
            size: layer.size,
          },
        ],
      }),
    ),
  );
  return { ...manifest, config };
}

/**
 * Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`) holding one image,
 * or a multi-platform image index when several specs are given, tagged `tag`.
 */
export function writeOciLayout(dir: string, tag: string, specs: TestImageSpec | TestImageSpec[]): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const list = Array.isArray(specs) ? specs : [specs];
  const images = list.map((spec) => ({ spec, image: writeImage(dir, spec) }));
  let top: { mediaType: string; digest: string; size: number };
  if (Array.isArray(specs)) {
    const index = writeBlob(
      dir,
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: images.map(({ spec, image }) => ({
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: image.digest,
            size: image.size,
            platform: {
              architecture: spec.architecture ?? 'amd64',
              os: 'linux',
              ...(spec.variant === undefined ? {} : { variant: spec.variant }),
            },
          })),
        }),
      ),
    );
    top = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: index.digest, size: index.size };
  } else {
    const only = images[0]?.image;
    if (only === undefined) throw new Error('no image');
    top = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: only.digest, size: only.size };
  }
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
}
