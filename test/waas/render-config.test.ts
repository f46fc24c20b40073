import { describe, expect, it } from 'vitest';
import { WaasConfigError } from '../../src/waas/errors.js';
import {
  DEBIAN_PATHS,
  FRONT_KEEPALIVE_BOUND_MS,
  FRONT_KEEPALIVE_MS,
  renderFrontNginx,
  renderModsecurity,
  renderWafNginx,
} from '../../src/waas/render-config.js';

const options = {
  upstreamPort: 80,
  workDir: '/run/waas',
  socket: '/run/waas/waf.sock',
  modsecAuditLog: '/run/waas/audit.json',
};

describe('Function: renderModsecurity', () => {
  it('turns prevent into SecRuleEngine On after the base settings and loads only the chosen CRS files', () => {
    // Act
    const conf = renderModsecurity(
      { effect: 'prevent', protections: ['sqli', 'xss'], paranoiaLevel: 2 },
      options,
    );

    // Assess
    const lines = conf.split('\n');
    expect(lines.indexOf('SecRequestBodyAccess On')).toBeGreaterThan(-1);
    expect(lines.indexOf('SecRequestBodyAccess On')).toBeLessThan(lines.indexOf('SecRuleEngine On'));
    expect(conf).toContain('setvar:tx.paranoia_level=2');
    expect(conf).toContain('REQUEST-942-APPLICATION-ATTACK-SQLI.conf');
    expect(conf).toContain('REQUEST-941-APPLICATION-ATTACK-XSS.conf');
    expect(conf).toContain('REQUEST-901-INITIALIZATION.conf');
    expect(conf).toContain('REQUEST-949-BLOCKING-EVALUATION.conf');
    expect(conf).not.toContain('REQUEST-930');
    expect(conf).not.toContain('REQUEST-920');
    expect(conf).toContain('SecAuditLogFormat JSON');
    expect(conf).toContain('SecAuditLog /run/waas/audit.json');
    expect(conf.indexOf('crs-setup.conf')).toBeGreaterThan(conf.indexOf('tx.paranoia_level'));
  });

  it('writes no base setting that compiles a regex per request or throws on non-multipart bodies', () => {
    // Act
    const conf = renderModsecurity({ effect: 'prevent', protections: ['sqli'], paranoiaLevel: 1 }, options);

    // Assess
    expect(conf).not.toContain('Include /etc/nginx/modsecurity.conf');
    expect(conf).not.toContain('SecAuditLogRelevantStatus');
    expect(conf).not.toContain('TX:/');
    expect(conf).toContain('SecRule TX:MSC_PCRE_LIMITS_EXCEEDED "!@streq 0"');
    expect(conf).toMatch(/id:200003,[^\n]*chain"\n {2}SecRule MULTIPART_STRICT_ERROR "!@eq 0"/);
    expect(conf).toMatch(/SecRule REQBODY_PROCESSOR "@streq MULTIPART" "id:200004,[^\n]*chain"/);
    expect(conf).toContain('SecUnicodeMapFile /etc/nginx/unicode.mapping 20127');
    expect(conf).toContain('SecAuditEngine RelevantOnly');
  });

  it("sets the paranoia level as CRS's executing paranoia level too", () => {
    // Act
    const conf = renderModsecurity({ effect: 'prevent', protections: ['sqli'], paranoiaLevel: 3 }, options);

    // Assess
    expect(conf).toContain('setvar:tx.paranoia_level=3,setvar:tx.executing_paranoia_level=3"');
  });

  it('includes the CRS files from the given directory (the filtered copies)', () => {
    // Act
    const conf = renderModsecurity(
      { effect: 'prevent', protections: ['sqli'], paranoiaLevel: 1 },
      { ...options, crsDir: '/run/waas/crs' },
    );

    // Assess
    expect(conf).toContain('Include /run/waas/crs/REQUEST-901-INITIALIZATION.conf');
    expect(conf).toContain('Include /run/waas/crs/REQUEST-942-APPLICATION-ATTACK-SQLI.conf');
    expect(conf).toContain('Include /run/waas/crs/REQUEST-949-BLOCKING-EVALUATION.conf');
    expect(conf).not.toContain(DEBIAN_PATHS.crsRulesDir);
  });

  it('turns alert into DetectionOnly', () => {
    // Act
    const conf = renderModsecurity({ effect: 'alert', protections: ['lfi'], paranoiaLevel: 1 }, options);

    // Assess
    expect(conf).toContain('SecRuleEngine DetectionOnly');
    expect(conf).not.toContain('SecRuleEngine On');
    expect(conf).toContain('REQUEST-930-APPLICATION-ATTACK-LFI.conf');
  });

  it('switches the engine off for allow-listed paths and sources before CRS runs', () => {
    // Act
    const conf = renderModsecurity(
      {
        effect: 'prevent',
        protections: ['sqli'],
        paranoiaLevel: 1,
        allowPaths: ['/health', '/static/*'],
        allowSources: ['10.0.0.0/8', '2001:db8::/32'],
      },
      options,
    );

    // Assess
    expect(conf).toContain('SecRule REQUEST_FILENAME "@rx ^/health$"');
    expect(conf).toContain('SecRule REQUEST_FILENAME "@rx ^/static/.*$"');
    expect(conf).toContain('SecRule REMOTE_ADDR "@ipMatch 10.0.0.0/8,2001:db8::/32"');
    expect(conf.indexOf('ctl:ruleEngine=Off')).toBeLessThan(conf.indexOf('crs-setup.conf'));
  });

  it('names the field of an allow-listed source that is not a CIDR', () => {
    // Act / Assess
    expect(() =>
      renderModsecurity(
        { effect: 'prevent', protections: [], paranoiaLevel: 1, allowSources: ['10.0.0.0/8', 'office'] },
        options,
      ),
    ).toThrow(WaasConfigError);
    expect(() =>
      renderModsecurity(
        { effect: 'prevent', protections: [], paranoiaLevel: 1, allowSources: ['office'] },
        options,
      ),
    ).toThrow(/waas\.allowSources\[0\]/);
  });

  it('names the field of an allow-listed path that is not a path', () => {
    // Act / Assess
    expect(() =>
      renderModsecurity(
        { effect: 'prevent', protections: [], paranoiaLevel: 1, allowPaths: ['health'] },
        options,
      ),
    ).toThrow(/waas\.allowPaths\[0\]/);
  });
});

describe('Function: renderWafNginx', () => {
  it('keeps pid, logs and temp files in its directory, listens on its socket and proxies to the app on loopback', () => {
    // Act
    const conf = renderWafNginx(
      { effect: 'prevent', protections: ['sqli'], paranoiaLevel: 1, bodyLimitBytes: 1000 },
      options,
    );

    // Assess
    expect(conf).toContain('daemon off;');
    expect(conf).toContain('pid /run/waas/nginx.pid;');
    expect(conf).toContain('error_log /run/waas/error.log');
    expect(conf).toContain('client_body_temp_path /run/waas/client_body;');
    expect(conf).not.toMatch(/\/var\/|pid \/etc|\/run\/nginx/);
    expect(conf).toContain('listen unix:/run/waas/waf.sock;');
    expect(conf).toContain('modsecurity on;');
    expect(conf).toContain('modsecurity_rules_file /run/waas/modsecurity.conf;');
    expect(conf).toContain('modsecurity_transaction_id "$request_id";');
    expect(conf).toContain('server 127.0.0.1:80;');
    expect(conf).toContain('client_max_body_size 1000;');
    expect(conf).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(conf).toContain('proxy_buffering off;');
  });

  it('runs the given number of worker processes (one by default)', () => {
    // Act
    const two = renderWafNginx(
      { effect: 'prevent', protections: [], paranoiaLevel: 1 },
      { ...options, workers: 2 },
    );
    const one = renderWafNginx({ effect: 'prevent', protections: [], paranoiaLevel: 1 }, options);

    // Assess
    expect(two).toContain('worker_processes 2;');
    expect(one).toContain('worker_processes 1;');
  });

  it('turns ModSecurity off when the effect is disable', () => {
    // Act
    const conf = renderWafNginx({ effect: 'disable', protections: [], paranoiaLevel: 1 }, options);

    // Assess
    expect(conf).toContain('modsecurity off;');
    expect(conf).not.toContain('modsecurity on;');
  });
});

describe('Function: renderFrontNginx', () => {
  it('listens on the exposed port without ModSecurity and keeps connections to the WAF socket alive briefly', () => {
    // Act
    const conf = renderFrontNginx({
      listenPort: 8080,
      listenHost: '0.0.0.0',
      workDir: '/run/waas/front',
      wafSocket: '/run/waas/waf.sock',
    });

    // Assess
    expect(conf).toContain('listen 0.0.0.0:8080;');
    expect(conf).toContain('pid /run/waas/front/nginx.pid;');
    expect(conf).not.toContain('modsecurity');
    expect(conf).toContain('server unix:/run/waas/waf.sock;');
    // Kept alive, but each connection only briefly: a replaced WAF instance must stop getting requests.
    expect(conf).toMatch(/^\s*keepalive \d+;/m);
    expect(conf).toContain(`keepalive_time ${FRONT_KEEPALIVE_MS}ms;`);
    expect(conf).toContain(`keepalive_timeout ${FRONT_KEEPALIVE_MS}ms;`);
    expect(FRONT_KEEPALIVE_BOUND_MS).toBeGreaterThan(2 * FRONT_KEEPALIVE_MS);
    expect(conf).toContain('error_page 471 =403 /__ecs_admission_blocked;');
    expect(conf).toContain('client_max_body_size 0;');
  });

  it('brackets an IPv6 listen address', () => {
    // Act
    const conf = renderFrontNginx({
      listenPort: 8080,
      listenHost: '::',
      workDir: '/w',
      wafSocket: '/w/waf.sock',
    });

    // Assess
    expect(conf).toContain('listen [::]:8080;');
  });
});
