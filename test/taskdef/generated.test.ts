import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  generateTaskdefFiles,
  MODEL_PATH,
  ROOT_SHAPES,
  reachableShapes,
} from '../../scripts/generate-taskdef-schema.js';
import { ECS_MODEL } from '../../src/taskdef/ecs-model.generated.js';
import * as generated from '../../src/taskdef/ecs-shapes.generated.js';

const root = join(import.meta.dirname, '..', '..');
const modelJson = readFileSync(join(root, MODEL_PATH), 'utf8');

interface ApiShape {
  type: string;
  required?: string[];
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  value?: { shape: string };
  enum?: string[];
}
const model = JSON.parse(modelJson) as { shapes: Record<string, ApiShape> };
const schemas = generated as unknown as Record<string, z.ZodType>;
const schemaOf = (shape: string): z.ZodType | undefined => schemas[`${shape}Schema`];

describe('Function: generateTaskdefFiles', () => {
  it('produces exactly the committed generated files (run npm run generate when this fails)', () => {
    // Prepare
    const files = generateTaskdefFiles(modelJson);

    // Act & Assess
    for (const [path, text] of Object.entries(files)) {
      const committed = readFileSync(join(root, path), 'utf8');
      expect(committed === text, `${path} is stale: run npm run generate`).toBe(true);
    }
  });

  it('keeps the compact model small enough for a fast CLI start', () => {
    // Prepare
    const text = generateTaskdefFiles(modelJson)['src/taskdef/ecs-model.generated.ts'] ?? '';

    // Assess: no documentation strings, well under the 850 KB source model
    expect(text).not.toContain('"documentation"');
    expect(text.length).toBeLessThan(32 * 1024);
  });
});

describe('Compact model', () => {
  it('holds only patterns that compile as the validator compiles them', () => {
    const patterns = Object.values(ECS_MODEL.shapes).flatMap((shape) =>
      shape.pattern ? [shape.pattern] : [],
    );
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) expect(() => new RegExp(pattern, 'u')).not.toThrow();
  });
});

describe('Function: reachableShapes', () => {
  it('lists every shape reachable from the roots, dependencies before dependants', () => {
    // Act
    const order = reachableShapes(JSON.parse(modelJson));

    // Assess
    expect(order).toEqual(
      expect.arrayContaining([...ROOT_SHAPES, 'ContainerDefinition', 'TaskDefinition', 'Tag']),
    );
    expect(order.indexOf('ContainerDefinition')).toBeLessThan(order.indexOf('RegisterTaskDefinitionRequest'));
    expect(Object.keys(ECS_MODEL.shapes).sort()).toEqual([...order].sort());
  });
});

describe('Generated schemas', () => {
  const names = reachableShapes(JSON.parse(modelJson));

  it.each(names)('%s has a schema matching the API model', (name) => {
    // Prepare
    const shape = model.shapes[name] as ApiShape;
    const schema = schemaOf(name);

    // Assess
    expect(schema, `${name}Schema is missing`).toBeDefined();
    switch (shape.type) {
      case 'structure': {
        expect(schema).toBeInstanceOf(z.ZodObject);
        const object = schema as z.ZodObject;
        // Every member of the model is present: no API field is dropped on the way through.
        expect(Object.keys(object.shape).sort()).toEqual(Object.keys(shape.members ?? {}).sort());
        for (const [member, ref] of Object.entries(shape.members ?? {})) {
          const memberSchema = object.shape[member] as z.ZodType;
          const required = (shape.required ?? []).includes(member);
          expect(memberSchema instanceof z.ZodOptional, `${name}.${member} optional`).toBe(!required);
          const inner = memberSchema instanceof z.ZodOptional ? memberSchema.unwrap() : memberSchema;
          expect(inner, `${name}.${member} uses ${ref.shape}Schema`).toBe(schemaOf(ref.shape));
        }
        // Strict: unknown members are rejected, as ECS rejects them.
        expect(object.safeParse({ notAnEcsField: 1 }).success).toBe(false);
        break;
      }
      case 'string':
        if (shape.enum) expect((schema as z.ZodEnum).options).toEqual(shape.enum);
        else expect(schema).toBeInstanceOf(z.ZodString);
        break;
      case 'integer':
        expect(schema?.safeParse(1).success).toBe(true);
        expect(schema?.safeParse(1.5).success).toBe(false);
        break;
      case 'boolean':
        expect(schema).toBeInstanceOf(z.ZodBoolean);
        break;
      case 'list':
        expect((schema as z.ZodArray<z.ZodType>).element).toBe(schemaOf(shape.member?.shape ?? ''));
        break;
      case 'map':
        expect((schema as z.ZodRecord).valueType).toBe(schemaOf(shape.value?.shape ?? ''));
        break;
      case 'timestamp':
        expect(schema?.safeParse('2024-05-01T10:00:00.123000+02:00').success).toBe(true);
        expect(schema?.safeParse(1714550400.5).success).toBe(true);
        expect(schema?.safeParse(new Date(0)).success).toBe(true);
        expect(schema?.safeParse('yesterday').success).toBe(false);
        break;
      default:
        throw new Error(`unexpected shape type ${shape.type}`);
    }
  });
});
