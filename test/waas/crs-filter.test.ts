import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CRS_DEFAULTS_ACTION_ID,
  crsDefaults,
  filterCrsRules,
  MULTIPART_GATE_ID,
  txSetBy,
} from '../../src/waas/crs-filter.js';
import {
  CRS_FILES,
  CRS_INITIALIZATION_FILE,
  CRS_TX_SET_BY_RENDERER,
  DEBIAN_PATHS,
} from '../../src/waas/render-config.js';

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

  it('gathers the defaults into one action where the first was, leaving out the preset ones', () => {
    // Prepare
    const text = `SecRule &TX:crs_setup_version "@eq 0" "id:901001,phase:1,deny,status:500,log"
SecRule &TX:inbound_anomaly_score_threshold "@eq 0" \\
    "id:901100,\\
    phase:1,\\
    pass,\\
    nolog,\\
    setvar:'tx.inbound_anomaly_score_threshold=5'"
SecRule &TX:paranoia_level "@eq 0" "id:901120,phase:1,pass,nolog,setvar:'tx.paranoia_level=1'"
SecRule &TX:allowed_http_versions "@eq 0" "id:901163,phase:1,pass,nolog,setvar:'tx.allowed_http_versions=HTTP/1.0 HTTP/1.1'"
SecAction "id:901200,phase:1,pass,nolog,setvar:'tx.anomaly_score=0'"
`;

    // Act
    const filtered = filterCrsRules(text, {
      paranoiaLevel: 1,
      dataDir: '/crs',
      presetTx: new Set(['paranoia_level']),
    });

    // Assess
    expect(filtered.split('\n').filter(Boolean)).toEqual([
      'SecRule &TX:crs_setup_version "@eq 0" "id:901001,phase:1,deny,status:500,log"',
      `SecAction "id:${CRS_DEFAULTS_ACTION_ID},phase:1,pass,t:none,nolog,setvar:'tx.inbound_anomaly_score_threshold=5',setvar:'tx.allowed_http_versions=HTTP/1.0 HTTP/1.1'"`,
      `SecAction "id:901200,phase:1,pass,nolog,setvar:'tx.anomaly_score=0'"`,
    ]);
  });

  it('leaves the defaults crs-setup.conf may set as CRS wrote them, and the 920450 chain with them', () => {
    // Prepare
    const text = `SecRule &TX:inbound_anomaly_score_threshold "@eq 0" "id:901100,phase:1,pass,nolog,setvar:'tx.inbound_anomaly_score_threshold=5'"
SecRule &TX:allowed_http_versions "@eq 0" "id:901163,phase:1,pass,nolog,setvar:'tx.allowed_http_versions=HTTP/1.0 HTTP/1.1'"
`;
    const headers = installed('REQUEST-920-PROTOCOL-ENFORCEMENT.conf');
    const defaults = installedDefaults();

    // Act
    const filtered = filterCrsRules(text, {
      paranoiaLevel: 1,
      dataDir: '/crs',
      setupTx: new Set(['inbound_anomaly_score_threshold']),
    });
    const chain = filterCrsRules(headers, {
      paranoiaLevel: 1,
      dataDir: DEBIAN_PATHS.crsRulesDir,
      defaults,
      setupTx: new Set(['restricted_headers']),
    });

    // Assess
    expect(filtered.split('\n').filter(Boolean)).toEqual([
      `SecRule &TX:inbound_anomaly_score_threshold "@eq 0" "id:901100,phase:1,pass,nolog,setvar:'tx.inbound_anomaly_score_threshold=5'"`,
      `SecAction "id:${CRS_DEFAULTS_ACTION_ID},phase:1,pass,t:none,nolog,setvar:'tx.allowed_http_versions=HTTP/1.0 HTTP/1.1'"`,
    ]);
    expect(chain).toContain('SecRule TX:/^header_name_/');
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
        const kept = ids(filtered).filter((id) => id !== String(MULTIPART_GATE_ID));
        expect(kept, `${file} at level ${level}`).toEqual(expected);
        expect(filtered).not.toContain('EXECUTING_PARANOIA_LEVEL "@lt');
      }
    }
  });

  it("sets the installed CRS's defaults in one action, except those the renderer sets", () => {
    // Prepare
    const text = readFileSync(`${DEBIAN_PATHS.crsRulesDir}/REQUEST-901-INITIALIZATION.conf`, 'utf8');
    const defaults = [
      ...text
        .replace(/\\\n\s*/g, '')
        .matchAll(/^SecRule &TX:(\w+) "@eq 0" "id:(\d+),[^"]*?(setvar:'tx\.\w+=[^']*')"$/gm),
    ];
    expect(defaults.length).toBeGreaterThan(15);

    // Act
    const filtered = filterCrsRules(text, {
      paranoiaLevel: 1,
      dataDir: DEBIAN_PATHS.crsRulesDir,
      presetTx: CRS_TX_SET_BY_RENDERER,
    });

    // Assess
    const action = filtered.split('\n').find((l) => l.includes(`id:${CRS_DEFAULTS_ACTION_ID},`)) ?? '';
    for (const [, name, id, setvar] of defaults) {
      expect(filtered).not.toContain(`id:${id},`);
      if (CRS_TX_SET_BY_RENDERER.has(String(name).toLowerCase())) expect(action).not.toContain(`tx.${name}=`);
      else expect(action).toContain(String(setvar));
    }
    expect(filtered).toContain('id:901001,');
    expect(filtered).toContain('id:901321,');
  });

  const installed = (file: string) => readFileSync(`${DEBIAN_PATHS.crsRulesDir}/${file}`, 'utf8');
  const installedDefaults = () => crsDefaults(installed(CRS_INITIALIZATION_FILE));

  it("reads the installed CRS's defaults, restricted headers among them", () => {
    const defaults = installedDefaults();
    expect(defaults.get('restricted_headers')).toMatch(/^(\/[a-z-]+\/ ?)+$/);
    expect(defaults.get('inbound_anomaly_score_threshold')).toBe('5');
  });

  it('makes rule 920450 one rule matching exactly the headers the chained CRS rule restricts', () => {
    // Prepare
    const text = installed('REQUEST-920-PROTOCOL-ENFORCEMENT.conf');
    const defaults = installedDefaults();
    const list = defaults.get('restricted_headers') ?? '';

    // Act
    const filtered = filterCrsRules(text, { paranoiaLevel: 1, dataDir: DEBIAN_PATHS.crsRulesDir, defaults });
    const unchanged = filterCrsRules(text, { paranoiaLevel: 1, dataDir: DEBIAN_PATHS.crsRulesDir });
    const preset = filterCrsRules(text, {
      paranoiaLevel: 1,
      dataDir: DEBIAN_PATHS.crsRulesDir,
      defaults,
      presetTx: new Set(['restricted_headers']),
    });

    // Assess
    expect(unchanged).toContain('SecRule TX:/^header_name_/');
    expect(preset).toContain('SecRule TX:/^header_name_/');
    expect(filtered.split('\n').filter((l) => !l.startsWith('#') && l.includes('header_name_'))).toEqual([]);
    const rule = filtered.split('\n').find((l) => l.includes('id:920450,')) ?? '';
    expect(rule).toMatch(
      /^SecRule REQUEST_HEADERS_NAMES "@rx \^\(\?:[a-z|-]+\)\$" "id:920450,phase:2,block,capture,t:none,t:lowercase,/,
    );
    expect(rule).toContain("msg:'HTTP header is restricted by policy (%{MATCHED_VAR})'");
    expect(rule).toMatch(/,setvar:'tx\.anomaly_score_pl1=\+%\{tx\.critical_anomaly_score\}'"$/);
    expect(ids(filtered)).toEqual(ids(unchanged));
    // What CRS's chain decides for a lower-cased name: "/name/" is within the list.
    const regex = new RegExp(/"@rx ([^"]+)"/.exec(rule)?.[1] ?? '$^');
    const names = [
      ...list.split(' ').map((e) => e.slice(1, -1)),
      'i',
      'if-none-match',
      'range',
      'content',
      'content-range-x',
      'x-proxy',
      'proxy-connection',
      'host',
      'lock',
    ];
    for (const name of names) expect(regex.test(name), name).toBe(list.includes(`/${name}/`));
  });

  it('finds the TX variables a file sets, in rules and actions, and none in comments', () => {
    // Prepare
    const text = `# SecAction "id:900000,phase:1,pass,setvar:tx.paranoia_level=2"
SecAction \\
    "id:900250,\\
    phase:1,\\
    pass,\\
    setvar:'tx.Restricted_Headers=/x-evil/'"
SecRule REMOTE_ADDR "@ipMatch 10.0.0.0/8" "id:900300,phase:1,pass,nolog,setvar:tx.inbound_anomaly_score_threshold=10,setvar:'ip.seen=1'"
`;

    // Act
    const set = txSetBy(text);
    const debian = txSetBy(readFileSync(DEBIAN_PATHS.crsSetup, 'utf8'));

    // Assess
    expect([...set].sort()).toEqual(['inbound_anomaly_score_threshold', 'restricted_headers']);
    expect([...debian]).toEqual(['crs_setup_version']);
  });

  it('skips the multipart-only file for other bodies, and no file that inspects anything else', () => {
    // Prepare
    const options = { paranoiaLevel: 4, dataDir: DEBIAN_PATHS.crsRulesDir, defaults: installedDefaults() };
    const multipart = installed('REQUEST-922-MULTIPART-ATTACK.conf');
    const others = [...new Set(Object.values(CRS_FILES).flat())].filter(
      (f) => f !== 'REQUEST-922-MULTIPART-ATTACK.conf',
    );
    const mixed = `${multipart}SecRule ARGS "@rx x" "id:999900,phase:2,block"\n`;

    // Act
    const gated = filterCrsRules(multipart, options);

    // Assess
    const lines = gated.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `SecRule REQBODY_PROCESSOR "!@streq MULTIPART" "id:${MULTIPART_GATE_ID},phase:2,pass,t:none,nolog,skipAfter:END-ECS-ADMISSION-MULTIPART-ONLY"`,
    );
    expect(lines.at(-1)).toBe('SecMarker "END-ECS-ADMISSION-MULTIPART-ONLY"');
    expect(ids(gated).slice(1)).toEqual(ids(multipart));
    expect(filterCrsRules(mixed, options)).not.toContain(`id:${MULTIPART_GATE_ID},`);
    for (const file of others)
      expect(filterCrsRules(installed(file), options), file).not.toContain('REQBODY_PROCESSOR "!@streq');
  });
});
