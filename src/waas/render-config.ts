import { isIP } from 'node:net';
import type { CompiledWaas } from '../policy/compiled-policy.js';
import { WaasConfigError } from './errors.js';

/** Where Debian's nginx, ModSecurity and CRS keep their files; overridable for other layouts. */
export interface WaasSystemPaths {
  modsecurityModule: string;
  /** Code points for ModSecurity's `t:urlDecodeUni` (shipped with Debian's nginx module). */
  unicodeMap: string;
  crsSetup: string;
  crsRulesDir: string;
  mimeTypes: string;
}

export const DEBIAN_PATHS: WaasSystemPaths = {
  modsecurityModule: '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so',
  unicodeMap: '/etc/nginx/unicode.mapping',
  crsSetup: '/etc/modsecurity/crs/crs-setup.conf',
  crsRulesDir: '/usr/share/modsecurity-crs/rules',
  mimeTypes: '/etc/nginx/mime.types',
};

export type WaasProtection = CompiledWaas['protections'][number];

/**
 * CRS 3.3 rule files per protection. The initialization, common exceptions and blocking evaluation
 * files are always loaded (the anomaly-scoring engine needs them); response rules are not, since
 * the proxy does not inspect response bodies (it streams them).
 */
export const CRS_FILES: Record<WaasProtection, readonly string[]> = {
  protocol: [
    'REQUEST-911-METHOD-ENFORCEMENT.conf',
    'REQUEST-913-SCANNER-DETECTION.conf',
    'REQUEST-920-PROTOCOL-ENFORCEMENT.conf',
    'REQUEST-921-PROTOCOL-ATTACK.conf',
    // Multipart header attacks (charset smuggling past the other rules): Debian's CRS 3.3.4 carries
    // this file from CRS 3.3.5's security release.
    'REQUEST-922-MULTIPART-ATTACK.conf',
  ],
  lfi: ['REQUEST-930-APPLICATION-ATTACK-LFI.conf'],
  rfi: ['REQUEST-931-APPLICATION-ATTACK-RFI.conf'],
  rce: ['REQUEST-932-APPLICATION-ATTACK-RCE.conf', 'REQUEST-934-APPLICATION-ATTACK-NODEJS.conf'],
  php: ['REQUEST-933-APPLICATION-ATTACK-PHP.conf'],
  xss: ['REQUEST-941-APPLICATION-ATTACK-XSS.conf'],
  sqli: ['REQUEST-942-APPLICATION-ATTACK-SQLI.conf'],
  session: ['REQUEST-943-APPLICATION-ATTACK-SESSION-FIXATION.conf'],
  java: ['REQUEST-944-APPLICATION-ATTACK-JAVA.conf'],
};

/** CRS's initialization file: its defaults are the values the CRS filter builds in. */
export const CRS_INITIALIZATION_FILE = 'REQUEST-901-INITIALIZATION.conf';
const ALWAYS_BEFORE = [CRS_INITIALIZATION_FILE, 'REQUEST-905-COMMON-EXCEPTIONS.conf'];
const ALWAYS_AFTER = ['REQUEST-949-BLOCKING-EVALUATION.conf'];

/** What the WAF layer's files depend on besides the policy. */
export interface WafRenderOptions {
  /** Port of the application, reached on 127.0.0.1 (awsvpc tasks share localhost). */
  upstreamPort: number;
  /** This WAF instance's own directory: pid, logs, temp files, its socket and its rendered files. */
  workDir: string;
  /** Unix socket this instance listens on; the front reaches it through a symlink. */
  socket: string;
  /** ModSecurity's JSON audit log, converted into `waas` audits. */
  modsecAuditLog: string;
  /** User the worker processes run as when nginx starts as root. */
  user?: string;
  paths?: WaasSystemPaths;
  /**
   * nginx worker processes of the WAF layer (default 1). ModSecurity runs in them: it is the CPU of
   * the proxy, so throughput scales with them up to the CPUs the task has.
   */
  workers?: number;
  /**
   * Directory of the CRS rule files to include: copies filtered for the policy
   * (`filterCrsRules` in crs-filter.ts); default CRS's own directory (same protection, more CPU per request).
   */
  crsDir?: string;
}

/** What the front layer depends on: never the policy, so a policy change never restarts it. */
export interface FrontRenderOptions {
  /** Port the proxy listens on (the task's exposed port). */
  listenPort: number;
  /** Address to listen on: loopback for the CLI, all addresses in the sidecar. */
  listenHost: string;
  /** The front's directory: pid, logs and temp files. */
  workDir: string;
  /** Path of the symlink to the current WAF instance's socket (the front's kept-alive connections to it are short-lived). */
  wafSocket: string;
  user?: string;
  paths?: WaasSystemPaths;
}

export interface RenderedWaf {
  nginxConf: string;
  modsecurityConf: string;
}

/** Request body limit when the policy names none (ModSecurity's recommended base uses 12.5 MiB). */
export const DEFAULT_BODY_LIMIT = 13_107_200;

const ALLOWED_METHODS = 'GET HEAD POST OPTIONS PUT PATCH DELETE';
const ALLOWED_CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/related',
  'text/xml',
  'application/xml',
  'application/soap+xml',
  'application/json',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/problem+json',
  'application/x-ndjson',
  'application/graphql',
  'application/octet-stream',
  'application/csp-report',
  'application/xss-auditor-report',
  'text/plain',
];

/** Rule ids this renderer uses for its own rules (outside CRS's reserved ranges). */
const OWN_RULE_BASE = 10_000;

/** The block page served in prevent mode (ModSecurity denies with 403). */
export const BLOCK_PAGE =
  '<!doctype html><html><head><title>Request blocked</title></head><body><h1>Request blocked</h1>' +
  '<p>This request was blocked by the ecs-admission web application firewall (WAAS). ' +
  'If you believe this is a mistake, contact the application owner with the time of the request.</p></body></html>';

function nginxString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `*` glob to an anchored regex over the request path. */
function globToRegex(pattern: string): string {
  return `^${pattern.replace(/[.+?^${}()|[\]\\"]/g, '\\$&').replace(/\*/g, '.*')}$`;
}

function validCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

/**
 * CRS looks for attacks in parsed arguments; a body that claims to be JSON but does not parse (the
 * seeds' SQLi sample is one) yields none. These rules run libinjection over such a raw body,
 * URL-decoded, and score like CRS's own libinjection rules.
 */
function unparseableBodyRules(protections: readonly WaasProtection[]): string[] {
  const rules: string[] = [];
  const rule = (id: number, operator: string, name: string, score: string, tag: string) =>
    `SecRule REQBODY_ERROR "!@eq 0" "id:${id},phase:2,pass,t:none,log,auditlog,` +
    `msg:'${name} Attack Detected via libinjection in an unparseable request body',` +
    `logdata:'Matched Data: %{TX.0} found within REQUEST_BODY',tag:'${tag}',severity:'CRITICAL',chain"\n` +
    `  SecRule REQUEST_BODY "${operator}" "t:none,t:urlDecodeUni,capture,` +
    `setvar:'tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}',setvar:'tx.${score}=+%{tx.critical_anomaly_score}'"`;
  if (protections.includes('sqli'))
    rules.push(rule(10100, '@detectSQLi', 'SQL Injection', 'sql_injection_score', 'attack-sqli'));
  if (protections.includes('xss')) rules.push(rule(10101, '@detectXSS', 'XSS', 'xss_score', 'attack-xss'));
  return rules;
}

/**
 * ModSecurity's base settings: those of Debian's recommended `/etc/nginx/modsecurity.conf`, written
 * out rather than included because three of its lines cost CPU on every request in libmodsecurity
 * 3.0.9 (measured, see docs/waas.md):
 * - `SecAuditLogRelevantStatus` is compiled into a new JIT regex for every transaction; without it
 *   only transactions with rule messages are logged, the only records the audit converter keeps;
 * - `TX:/^MSC_/` (rule 200005) is a regex selection compiled for every transaction; 3.0.9 sets no
 *   such variable and later versions set `MSC_PCRE_LIMITS_EXCEEDED`, which is named instead;
 * - the multipart checks (200003, 200004) run `@eq` on empty variables for other bodies, and 3.0.9's
 *   `@eq` throws and catches a C++ exception for each; they now run for multipart bodies only.
 * Rule 200002 (unparseable body) is left out: rule 10199 denies it after the attack rules have run.
 */
function baseSettings(paths: WaasSystemPaths, bodyLimit: number): string[] {
  return [
    'SecRequestBodyAccess On',
    `SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"`,
    `SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"`,
    `SecRequestBodyLimit ${bodyLimit}`,
    `SecRequestBodyNoFilesLimit ${Math.min(bodyLimit, 1_048_576)}`,
    'SecRequestBodyLimitAction Reject',
    'SecRequestBodyJsonDepthLimit 512',
    'SecArgumentsLimit 1000',
    `SecRule &ARGS "@ge 1000" "id:200007,phase:2,t:none,log,deny,status:400,msg:'Failed to fully parse request body due to large argument count',severity:2"`,
    `SecRule REQBODY_PROCESSOR "@streq MULTIPART" "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation: PE %{REQBODY_PROCESSOR_ERROR}, BQ %{MULTIPART_BOUNDARY_QUOTED}, BW %{MULTIPART_BOUNDARY_WHITESPACE}, DB %{MULTIPART_DATA_BEFORE}, DA %{MULTIPART_DATA_AFTER}, HF %{MULTIPART_HEADER_FOLDING}, LF %{MULTIPART_LF_LINE}, SM %{MULTIPART_MISSING_SEMICOLON}, IQ %{MULTIPART_INVALID_QUOTING}, IP %{MULTIPART_INVALID_PART}, IH %{MULTIPART_INVALID_HEADER_FOLDING}, FL %{MULTIPART_FILE_LIMIT_EXCEEDED}',chain"`,
    '  SecRule MULTIPART_STRICT_ERROR "!@eq 0" "t:none"',
    `SecRule REQBODY_PROCESSOR "@streq MULTIPART" "id:200004,phase:2,t:none,log,deny,msg:'Multipart parser detected a possible unmatched boundary.',chain"`,
    '  SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" "t:none"',
    'SecPcreMatchLimit 1000',
    'SecPcreMatchLimitRecursion 1000',
    `SecRule TX:MSC_PCRE_LIMITS_EXCEEDED "!@streq 0" "id:200005,phase:2,t:none,deny,msg:'ModSecurity internal error flagged: %{MATCHED_VAR_NAME}'"`,
    // The proxy streams responses and loads no response rules: buffering response bodies would only add latency.
    'SecResponseBodyAccess Off',
    'SecArgumentSeparator &',
    'SecCookieFormat 0',
    `SecUnicodeMapFile ${paths.unicodeMap} 20127`,
    'SecStatusEngine Off',
  ];
}

/**
 * TX variables the renderer sets before CRS runs; `filterCrsRules` leaves out CRS's defaults for
 * them (they would only check and do nothing).
 */
export const CRS_TX_SET_BY_RENDERER: ReadonlySet<string> = new Set([
  'paranoia_level',
  'executing_paranoia_level',
  'allowed_methods',
  'allowed_request_content_type',
]);

/** The CRS rule files a policy loads, in load order. */
export function crsRuleFiles(waas: CompiledWaas): string[] {
  return [
    ...ALWAYS_BEFORE,
    ...[...new Set(waas.protections.flatMap((p) => CRS_FILES[p]))].sort(),
    ...ALWAYS_AFTER,
  ];
}

/**
 * Renders the ModSecurity rules file: the base settings, the engine mode for the effect, our
 * audit-log settings, the allow-list exceptions, the paranoia level, then CRS's setup and the rule
 * files of the enabled protections. Pure: same input, same text.
 */
export function renderModsecurity(
  waas: CompiledWaas,
  options: Pick<WafRenderOptions, 'workDir' | 'modsecAuditLog' | 'paths' | 'crsDir'>,
): string {
  const paths = options.paths ?? DEBIAN_PATHS;
  const bodyLimit = waas.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const lines: string[] = [
    '# Rendered by ecs-admission from the compiled waas policy; do not edit.',
    ...baseSettings(paths, bodyLimit),
    `SecRuleEngine ${waas.effect === 'prevent' ? 'On' : 'DetectionOnly'}`,
    // Only transactions with rule messages are logged (no SecAuditLogRelevantStatus: see baseSettings).
    'SecAuditEngine RelevantOnly',
    'SecAuditLogType Serial',
    'SecAuditLogFormat JSON',
    // A: transaction, B: request headers (redacted on conversion), H: rule messages, Z: end. No bodies.
    'SecAuditLogParts ABHZ',
    `SecAuditLog ${options.modsecAuditLog}`,
    `SecTmpDir ${options.workDir}/modsec-tmp`,
    `SecDataDir ${options.workDir}/modsec-data`,
  ];
  let id = OWN_RULE_BASE;
  for (const [i, path] of (waas.allowPaths ?? []).entries()) {
    if (!path.startsWith('/') || /[\s"']/.test(path)) {
      throw new WaasConfigError(
        `waas.allowPaths[${i}]: "${path}" must be a request path starting with "/" (wildcard "*" allowed, no spaces or quotes)`,
        `waas.allowPaths[${i}]`,
      );
    }
    lines.push(
      `SecRule REQUEST_FILENAME "@rx ${globToRegex(path)}" "id:${id++},phase:1,pass,nolog,t:none,ctl:ruleEngine=Off"`,
    );
  }
  const sources = waas.allowSources ?? [];
  for (const [i, cidr] of sources.entries()) {
    if (!validCidr(cidr)) {
      throw new WaasConfigError(
        `waas.allowSources[${i}]: "${cidr}" is not an IP address or CIDR (e.g. 10.0.0.0/8)`,
        `waas.allowSources[${i}]`,
      );
    }
  }
  if (sources.length > 0) {
    lines.push(
      `SecRule REMOTE_ADDR "@ipMatch ${sources.join(',')}" "id:${id++},phase:1,pass,nolog,t:none,ctl:ruleEngine=Off"`,
    );
  }
  lines.push(
    `SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=${waas.paranoiaLevel},setvar:tx.executing_paranoia_level=${waas.paranoiaLevel}"`,
    // CRS 3.3 allows only GET HEAD POST OPTIONS and a short list of body types; APIs use more.
    `SecAction "id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods=${ALLOWED_METHODS}'"`,
    `SecAction "id:900220,phase:1,nolog,pass,t:none,setvar:'tx.allowed_request_content_type=${ALLOWED_CONTENT_TYPES.map((t) => `|${t}|`).join(' ')}'"`,
    `Include ${paths.crsSetup}`,
  );
  const files = crsRuleFiles(waas);
  const crsDir = options.crsDir ?? paths.crsRulesDir;
  for (const file of files.slice(0, -ALWAYS_AFTER.length)) lines.push(`Include ${crsDir}/${file}`);
  lines.push(...unparseableBodyRules(waas.protections));
  for (const file of ALWAYS_AFTER) lines.push(`Include ${crsDir}/${file}`);
  lines.push(
    // CRS's blocking rule, re-declared to answer BLOCK_STATUS (SecRuleUpdateActionById loses its deny in libmodsecurity 3.0.9).
    'SecRuleRemoveById 949110',
    `SecRule TX:ANOMALY_SCORE "@ge %{tx.inbound_anomaly_score_threshold}" "id:10198,phase:2,deny,status:${BLOCK_STATUS},t:none,log,msg:'Inbound Anomaly Score Exceeded (Total Score: %{TX.ANOMALY_SCORE})',tag:'attack-generic',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score=%{tx.anomaly_score}'"`,
    // Debian's base denies an unparseable body (rule 200002, left out) before CRS runs; denied here
    // instead, after the evaluation, so that an attack in a malformed body is reported as the attack.
    `SecRule REQBODY_ERROR "!@eq 0" "id:10199,phase:2,t:none,log,deny,status:${BLOCK_STATUS},msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Status the WAF layer answers a blocked request with; the front layer turns it (and only it) into
 * the block page, so the app's own 403s pass unchanged. Never sent to clients.
 */
export const BLOCK_STATUS = 471;

/**
 * The main context both layers share (the bench's static app too): a foreground master whose files
 * stay in its directory, and the `http` block opened for the caller's servers.
 */
export function mainContext(
  w: string,
  paths: WaasSystemPaths,
  user: string | undefined,
  preamble: string,
  workers = 1,
): string {
  return `# Rendered by ecs-admission; do not edit.
${preamble}daemon off;
master_process on;
worker_processes ${workers};
pid ${w}/nginx.pid;
error_log ${w}/error.log warn;
${user ? `user ${user};\n` : ''}
events {
  worker_connections 4096;
}

http {
  include ${paths.mimeTypes};
  access_log off;
  server_tokens off;
  client_body_temp_path ${w}/client_body;
  proxy_temp_path ${w}/proxy;
  fastcgi_temp_path ${w}/fastcgi;
  uwsgi_temp_path ${w}/uwsgi;
  scgi_temp_path ${w}/scgi;
  client_body_buffer_size 128k;
  keepalive_timeout 75s;
  keepalive_requests 10000;

  map $http_upgrade $ecs_admission_connection {
    default upgrade;
    '' '';
  }
`;
}

/** Proxying as both layers do it: HTTP/1.1, websocket upgrades, streamed responses, headers unchanged. */
function proxyTo(upstream: string, extra: string): string {
  return `proxy_pass http://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $ecs_admission_connection;
${extra}      proxy_pass_header Server;
      proxy_pass_header Date;
      # Responses are streamed as the app writes them (server-sent events, long polls, downloads).
      proxy_buffering off;
      proxy_read_timeout 3600s;
      proxy_send_timeout 3600s;
      proxy_connect_timeout 5s;`;
}

/**
 * How long the front uses a connection to the WAF socket after opening it, and how long it keeps
 * one idle: a request starts on a connection at most both after the connection was opened.
 */
export const FRONT_KEEPALIVE_MS = 250;
/**
 * A request the front starts this long after the WAF socket's symlink was swapped reaches the new
 * WAF instance: a connection's lifetime and idle time plus a margin for a busy event loop.
 */
export const FRONT_KEEPALIVE_BOUND_MS = 2 * FRONT_KEEPALIVE_MS + 100;

/**
 * Renders the front layer's nginx.conf: the server on the exposed port, ModSecurity off. It passes
 * everything to the current WAF instance over a unix socket and replaces {@link BLOCK_STATUS} with
 * the block page. It depends on no policy field, so it runs from start to stop: client connections
 * never meet a reload. Its connections to the WAF socket are kept alive (a new connection per
 * request cost both layers about 0.13 ms of CPU per request on the CI machine), but each one is
 * used for at most {@link FRONT_KEEPALIVE_MS} after it was opened and kept idle at most as long,
 * so that no request starts on a connection opened more than {@link FRONT_KEEPALIVE_BOUND_MS}
 * before: `WaasProxy.reload` waits that long after swapping the socket in before it resolves.
 * Two layers also because ModSecurity-nginx loses a transaction (its audit record and rule
 * messages) when nginx serves a custom error page by internal redirect in the same server.
 */
export function renderFrontNginx(options: FrontRenderOptions): string {
  const paths = options.paths ?? DEBIAN_PATHS;
  const listen = options.listenHost.includes(':') ? `[${options.listenHost}]` : options.listenHost;
  return `${mainContext(options.workDir, paths, options.user, '')}
  # The WAF layer enforces the policy's body limit.
  client_max_body_size 0;

  upstream ecs_admission_waf {
    server unix:${options.wafSocket};
    # Bounded so that a replaced WAF instance gets no request shortly after the swap (see above).
    keepalive 32;
    keepalive_time ${FRONT_KEEPALIVE_MS}ms;
    keepalive_timeout ${FRONT_KEEPALIVE_MS}ms;
  }

  server {
    listen ${listen}:${options.listenPort};
    server_name _;

    location / {
      ${proxyTo(
        'ecs_admission_waf',
        `      proxy_set_header X-Ecs-Admission-Client $remote_addr;
      # Bodies go on as they arrive; the WAF layer buffers them for inspection.
      proxy_request_buffering off;
      proxy_intercept_errors on;
      error_page ${BLOCK_STATUS} =403 /__ecs_admission_blocked;
`,
      )}
    }

    location = /__ecs_admission_blocked {
      internal;
      default_type text/html;
      return 403 ${nginxString(BLOCK_PAGE)};
    }
  }
}
`;
}

/**
 * Renders one WAF instance's nginx.conf: ModSecurity (unless the effect is disable) on a unix
 * socket, proxying to the app on 127.0.0.1 with kept-alive connections. The client's address comes
 * from the front in a header (for ModSecurity's REMOTE_ADDR and the audits) and is stripped before
 * the app.
 */
export function renderWafNginx(waas: CompiledWaas, options: WafRenderOptions): string {
  const paths = options.paths ?? DEBIAN_PATHS;
  const bodyLimit = waas.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  return `${mainContext(options.workDir, paths, options.user, `load_module ${paths.modsecurityModule};\n`, options.workers)}
  client_max_body_size ${bodyLimit};

  upstream ecs_admission_app {
    server 127.0.0.1:${options.upstreamPort};
    keepalive 64;
  }

  modsecurity_rules_file ${options.workDir}/modsecurity.conf;

  server {
    listen unix:${options.socket};
    server_name _;
    modsecurity ${waas.effect === 'disable' ? 'off' : 'on'};
    # nginx's per-request random id names each transaction (and its audit). Without one,
    # libmodsecurity seeds a std::random_device and a Mersenne Twister for every transaction, whose
    # CPUID probe exits to the hypervisor on a VM such as Fargate's (measured: 1-10 % of the WAF's CPU).
    modsecurity_transaction_id "$request_id";
    set_real_ip_from unix:;
    real_ip_header X-Ecs-Admission-Client;

    location / {
      ${proxyTo(
        'ecs_admission_app',
        `      proxy_set_header X-Ecs-Admission-Client "";
      # Request bodies stay buffered here: ModSecurity must see the whole body before the app does.
      proxy_request_buffering on;
`,
      )}
    }
  }
}
`;
}

/** Both files of one WAF instance for one policy. */
export function renderWaf(waas: CompiledWaas, options: WafRenderOptions): RenderedWaf {
  return { nginxConf: renderWafNginx(waas, options), modsecurityConf: renderModsecurity(waas, options) };
}
