import { hostName } from './reference.js';

/** An ECR private registry host, split into account and region. */
export interface EcrRegistry {
  registryId: string;
  region: string;
}

// ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn] and the dual-stack ACCOUNT.dkr-ecr[-fips].REGION.on.aws.
const ECR_HOST =
  /^(\d{12})\.dkr[.-]ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws|on\.amazonwebservices\.com\.cn)$/;

/** The account and region of an ECR private registry host, or undefined for any other registry. */
export function parseEcrRegistry(registry: string): EcrRegistry | undefined {
  const match = ECR_HOST.exec(hostName(registry));
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { registryId: match[1], region: match[2] };
}
