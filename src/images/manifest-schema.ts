import { z } from 'zod';

/** Media types of the manifests this client reads, in the order it asks for them. */
export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** The `Accept` header for manifest requests: indexes and image manifests, OCI and Docker v2 schema 2. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
].join(', ');

const DigestSchema = z.string().regex(/^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/, 'is not a digest');

export const DescriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest: DigestSchema,
  size: z.number().int().nonnegative(),
  platform: z
    .looseObject({
      architecture: z.string(),
      os: z.string(),
      variant: z.string().optional(),
    })
    .optional(),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

/** OCI image index or Docker manifest list (one manifest per platform). */
export const ImageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
});
export type ImageIndex = z.infer<typeof ImageIndexSchema>;

/** OCI image manifest or Docker v2 schema 2 manifest (one platform: a config and layers). */
export const ImageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
});
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

const StringListSchema = z.array(z.string()).nullable().optional();

/**
 * The image configuration blob (OCI image config / Docker container image config). Only the fields
 * that decide what a container runs are read; `Entrypoint`/`Cmd` absent and null both mean unset,
 * `[]` means explicitly empty.
 */
export const ImageConfigBlobSchema = z.looseObject({
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  config: z
    .looseObject({
      Entrypoint: StringListSchema,
      Cmd: StringListSchema,
      WorkingDir: z.string().optional(),
      User: z.string().optional(),
    })
    .nullable()
    .optional(),
});
export type ImageConfigBlob = z.infer<typeof ImageConfigBlobSchema>;
