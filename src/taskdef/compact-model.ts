/**
 * The compact form of the AWS API model that `npm run generate` writes to ecs-model.generated.ts:
 * botocore shapes with member references flattened to shape names and documentation dropped, so
 * the CLI loads it fast.
 */
export interface CompactShape {
  /** botocore type: structure, string, integer, boolean, list, map, timestamp, ... */
  type: string;
  required?: string[];
  /** Structure members: member name → shape name. */
  members?: Record<string, string>;
  /** List member shape. */
  member?: string;
  /** Map key and value shapes. */
  key?: string;
  value?: string;
  enum?: string[];
  /** Minimum/maximum: value for numbers, length for strings and lists, entries for maps. */
  min?: number;
  max?: number;
  /** ECMAScript pattern (Smithy semantics: not anchored). */
  pattern?: string;
}

/** The shapes reachable from RegisterTaskDefinitionRequest and DescribeTaskDefinitionResponse. */
export interface CompactModel {
  apiVersion: string;
  shapes: Record<string, CompactShape>;
}
