import { z } from 'zod';

/**
 * What the transform needs to know about an image to compute a container's effective command line.
 * `null` and `[]` are different on purpose: Docker treats an unset ENTRYPOINT/CMD (null) and an
 * explicitly empty one differently, so the distinction must survive every hop.
 */
export const ImageConfigSchema = z
  .object({
    entrypoint: z.array(z.string()).nullable(),
    cmd: z.array(z.string()).nullable(),
    /**
     * Digest the image reference resolved to when the configuration was read (`sha256:...`): the
     * index digest for a multi-platform image, so `name@digest` pins to exactly what was read.
     */
    digest: z.string().optional(),
    workingDir: z.string().optional(),
    user: z.string().optional(),
  })
  .strict();
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

/** The platform an image is resolved for, derived from the task's `runtimePlatform`. */
export const PlatformSchema = z.object({
  os: z.literal('linux'),
  architecture: z.enum(['amd64', 'arm64']),
  variant: z.string().optional(),
});
export type Platform = z.infer<typeof PlatformSchema>;

/** What a look-up may need beyond the image name: the container's private-registry credentials. */
export interface ImageLookupOptions {
  /** `repositoryCredentials.credentialsParameter` of the container (a Secrets Manager ARN). */
  credentialsParameter?: string | undefined;
}

/**
 * Looks an image's configuration up (the registry look-up lives in `src/images`). Rejects with an
 * error whose message is fit to show a user (the registry's reason) when the config cannot be read.
 */
export type ImageConfigResolver = (
  image: string,
  platform: Platform,
  options?: ImageLookupOptions,
) => Promise<ImageConfig>;
