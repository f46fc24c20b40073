import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { filterCrsRules } from '../../src/waas/crs-filter.js';
import { CRS_FILES, CRS_RULES_SET_BY_RENDERER, DEBIAN_PATHS } from '../../src/waas/render-config.js';

const SAMPLE = `# header comment
SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 1" "id:999011,phase:1,pass,nolog,skipAfter:END-SAMPLE"
SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 1" "id:999012,phase:2,pass,nolog,skipAfter:END-SAMPLE"
SecRule ARGS "@rx one" \\
    "id:999100,\\
    phase:2,\\
    block,\\
    tag:'paranoia-level/1'"
SecRule REQUEST_HEADERS:User-Agent "@pmFromFile agents.data" "id:999110,phase:1,block,chain"
    SecRule ARGS "@streq x" "t:none"
SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 2" "id:999013,phase:1,pass,nolog,skipAfter:END-SAMPLE"
SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 2" "id:999014,phase:2,pass,nolog,skipAfter:END-SAMPLE"
SecRule ARGS "@rx two" "id:999200,phase:2,block,chain"
    SecRule ARGS_NAMES "@rx chained-two" "t:none"
SecRule REQUEST_URI "@rx two-phase1" "id:999201,phase:1,block"
SecRule ARGS "@rx two-logging" "id:999202,phase:5,pass"
SecMarker "END-SAMPLE"
SecRule ARGS "@rx after" "id:999300,phase:2,block,msg:'a, chain, b'"
`;

const ids = (text: string) => [...text.matchAll(/id:'?(\d+)/g)].map((m) => m[1]);

describe('Function: filterCrsRules', () => {
  it('drops the skip rules and, above the paranoia level, what they skip in their phase up to the marker', () => {
    // Act
    const filtered = filterCrsRules(SAMPLE, { paranoiaLevel: 1, dataDir: '/crs' });

    // Assess
    expect(ids(filtered)).toEqual(['999100', '999110', '999202', '999300']);
    expect(filtered).not.toContain('chained-two');
    expect(filtered).toContain('SecMarker "END-SAMPLE"');
    expect(filtered).toContain('    SecRule ARGS "@streq x" "t:none"');
    expect(filtered).toContain(`    tag:'paranoia-level/1'"`);
  });

  it('keeps every section at or below the paranoia level and names data files by absolute path', () => {
    // Act
    const filtered = filterCrsRules(SAMPLE, { paranoiaLevel: 2, dataDir: '/crs' });

    // Assess
    expect(ids(filtered)).toEqual(['999100', '999110', '999200', '999201', '999202', '999300']);
    expect(filtered).toContain('chained-two');
    expect(filtered).toContain('"@pmFromFile /crs/agents.data"');
  });

  it('drops the rules it is told to, with the rules chained to them', () => {
    // Act
    const filtered = filterCrsRules(SAMPLE, {
      paranoiaLevel: 2,
      dataDir: '/crs',
      dropIds: new Set(['999110']),
    });

    // Assess
    expect(ids(filtered)).not.toContain('999110');
    expect(filtered).not.toContain('@streq x');
    expect(ids(filtered)).toContain('999300');
  });

  it('keeps exactly the installed CRS rules tagged at or below the paranoia level', () => {
    // Prepare: CRS tags every rule of a section with its level; the filter works from the skip rules
    // and markers instead, so the tags check it independently.
    const files = [...new Set(Object.values(CRS_FILES).flat())];
    for (const file of files) {
      const text = readFileSync(`${DEBIAN_PATHS.crsRulesDir}/${file}`, 'utf8');
      const rules = [...text.replace(/\\\n/g, ' ').matchAll(/^SecRule[^\n]*?"id:(\d+),[^\n]*$/gm)].map(
        (m) => ({
          id: m[1],
          level: Number(/tag:'paranoia-level\/(\d)'/.exec(m[0])?.[1] ?? 1),
          skip: m[0].includes('TX:EXECUTING_PARANOIA_LEVEL "@lt'),
        }),
      );
      expect(rules.length).toBeGreaterThan(1);

      for (const level of [1, 2, 3, 4]) {
        // Act
        const filtered = filterCrsRules(text, { paranoiaLevel: level, dataDir: DEBIAN_PATHS.crsRulesDir });

        // Assess
        const expected = rules.filter((r) => !r.skip && r.level <= level).map((r) => r.id);
        expect(ids(filtered), `${file} at level ${level}`).toEqual(expected);
        expect(filtered).not.toContain('EXECUTING_PARANOIA_LEVEL "@lt');
      }
    }
  });

  it('leaves out the initialization rules whose values the renderer sets', () => {
    // Prepare
    const text = readFileSync(`${DEBIAN_PATHS.crsRulesDir}/REQUEST-901-INITIALIZATION.conf`, 'utf8');

    // Act
    const filtered = filterCrsRules(text, {
      paranoiaLevel: 1,
      dataDir: DEBIAN_PATHS.crsRulesDir,
      dropIds: CRS_RULES_SET_BY_RENDERER,
    });

    // Assess
    for (const id of CRS_RULES_SET_BY_RENDERER) {
      expect(text).toContain(`id:${id},`);
      expect(filtered).not.toContain(`id:${id},`);
    }
    expect(filtered).toContain('id:901160,');
    expect(filtered).toContain('id:901321,');
  });
});
