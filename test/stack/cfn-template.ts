import { z } from 'zod';

/** The parts of a CloudFormation template the stack tests read. */
export const CfnResourceSchema = z
  .object({
    Type: z.string(),
    Condition: z.string().optional(),
    DeletionPolicy: z.string().optional(),
    Properties: z.record(z.string(), z.unknown()).default({}),
  })
  .passthrough();
export type CfnResource = z.infer<typeof CfnResourceSchema>;

export const CfnTemplateSchema = z
  .object({
    Parameters: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    Conditions: z.record(z.string(), z.unknown()).default({}),
    Resources: z.record(z.string(), CfnResourceSchema),
    Outputs: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  })
  .passthrough();
export type CfnTemplate = z.infer<typeof CfnTemplateSchema>;

/** Every resource of `type`, by logical ID. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The resource with this logical ID; throws naming it when absent. */
export function resource(template: CfnTemplate, logicalId: string): CfnResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`template has no resource ${logicalId}`);
  return found;
}

/** Whether `value` refers to the resource `logicalId` (Ref, GetAtt, or `${X}` / `${X.Attr}` in a Sub). */
export function refersTo(value: unknown, logicalId: string): boolean {
  const text = JSON.stringify(value);
  return (
    text.includes(`{"Ref":"${logicalId}"}`) ||
    text.includes(`{"Fn::GetAtt":["${logicalId}",`) ||
    text.includes(`\${${logicalId}}`) ||
    text.includes(`\${${logicalId}.`)
  );
}
