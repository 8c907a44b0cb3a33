// SPDX-License-Identifier: Apache-2.0
// The stack's configuration, checked with the real tools where they exist (promtool, the collector's
// own `validate`) and structurally where they do not (compose, Alertmanager, Grafana provisioning).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COLLECTOR_BINARY, COLLECTOR_CONFIG, collectorAvailable } from '@otel-preset/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DATASOURCE } from '../../grafana/src/builder.js';
import { renderDashboards } from '../../grafana/src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked field by field, as the formats define it.
type Yaml = any;

const root = fileURLToPath(new URL('../../', import.meta.url));
const PROMTOOL = process.env['PROMTOOL_BIN'] ?? '/usr/bin/promtool';
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const yamlOf = (path: string) => parse(read(path)) as Record<string, Yaml>;
const ruleFiles = readdirSync(join(root, 'prometheus/rules')).filter((f) => f.endsWith('.yml'));
const testFiles = readdirSync(join(root, 'prometheus/tests')).filter((f) => f.endsWith('.test.yml'));

function promtool(...args: string[]): string {
  const result = spawnSync(PROMTOOL, args, { cwd: root, encoding: 'utf8' });
  if (result.error) throw new Error(`cannot run ${PROMTOOL}: ${result.error.message}`);
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`promtool ${args.join(' ')} failed:\n${output}`);
  return output;
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = ruleFiles.flatMap((file) =>
  (yamlOf(`prometheus/rules/${file}`)['groups'] as { rules: Rule[] }[]).flatMap((group) => group.rules),
);
const alerts = rules.filter((rule) => rule.alert);

describe('Prometheus rules', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'stack-config-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('prometheus.yml passes promtool check config, with its rule files', () => {
    // The config names the compose mount; point it at the repository's rules.
    const config = read('prometheus/prometheus.yml').replace(
      '/etc/prometheus/rules/',
      join(root, 'prometheus/rules/'),
    );
    writeFileSync(join(tmp, 'prometheus.yml'), config);
    expect(promtool('check', 'config', join(tmp, 'prometheus.yml'))).toContain('SUCCESS');
  });

  it.each(ruleFiles)('%s passes promtool check rules', (file) => {
    expect(promtool('check', 'rules', `prometheus/rules/${file}`)).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.each(testFiles)('%s passes promtool test rules', (file) => {
    expect(promtool('test', 'rules', `prometheus/tests/${file}`)).toContain('SUCCESS');
  });

  it('has at least 15 alerts, each with severity, summary, description and a runbook section', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(15);
    const runbooks = read('docs/runbooks.md');
    const anchors = new Set([...runbooks.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase()));
    for (const alert of alerts) {
      expect(alert.labels?.['severity'], alert.alert).toMatch(/^(critical|warning|info)$/);
      expect(alert.annotations?.['summary'], alert.alert).toBeTruthy();
      expect(alert.annotations?.['description'], alert.alert).toBeTruthy();
      expect(alert.annotations?.['runbook_url'], alert.alert).toBe(
        `docs/runbooks.md#${alert.alert!.toLowerCase()}`,
      );
      expect(
        anchors.has(alert.alert!.toLowerCase()),
        `docs/runbooks.md has no section "## ${alert.alert}"`,
      ).toBe(true);
    }
  });

  it('unit-tests every alert both firing and not firing', () => {
    const firing = new Set<string>();
    const silent = new Set<string>();
    for (const file of testFiles) {
      for (const test of yamlOf(`prometheus/tests/${file}`)['tests'] as { alert_rule_test?: Yaml[] }[]) {
        for (const check of test.alert_rule_test ?? []) {
          (check.exp_alerts?.length ? firing : silent).add(check.alertname);
        }
      }
    }
    const names = alerts.map((a) => a.alert!);
    expect(
      names.filter((name) => !firing.has(name)),
      'alerts without a firing test',
    ).toEqual([]);
    expect(
      names.filter((name) => !silent.has(name)),
      'alerts without a not-firing test',
    ).toEqual([]);
  });

  it('avoids PromQL that Prometheus 2.42 and 3.x read differently', () => {
    for (const rule of rules) {
      // Renamed in 3.0, and regexes with "." behave differently across the two.
      expect(rule.expr, rule.alert ?? rule.record).not.toMatch(/holt_winters|double_exponential|info\(/);
    }
  });
});

describe('Alertmanager config', () => {
  const config = yamlOf('alertmanager/alertmanager.yml');
  it('routes only to receivers it defines', () => {
    const receivers = new Set((config['receivers'] as { name: string }[]).map((r) => r.name));
    const routes = [config['route'], ...((config['route'].routes as unknown[]) ?? [])] as {
      receiver?: string;
    }[];
    for (const route of routes)
      if (route.receiver) expect(receivers.has(route.receiver), route.receiver).toBe(true);
  });
  it('inhibits only alerts that exist', () => {
    const names = alerts.map((a) => a.alert!);
    for (const rule of config['inhibit_rules'] as {
      source_matchers: string[];
      target_matchers: string[];
    }[]) {
      for (const matcher of [...rule.source_matchers, ...rule.target_matchers]) {
        const [, op, value] = /^alertname(=~|=)"(.+)"$/.exec(matcher) ?? [];
        const regex = new RegExp(
          `^(?:${op === '=~' ? value : value!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})$`,
        );
        expect(
          names.some((name) => regex.test(name)),
          matcher,
        ).toBe(true);
      }
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = yamlOf('docker-compose.yml');
  const services = compose['services'] as Record<string, Yaml>;
  const volumes = Object.keys(compose['volumes'] ?? {});

  it('has the stack services, and the demo only under its profile', () => {
    for (const name of ['otel-collector', 'prometheus', 'alertmanager', 'grafana', 'jaeger']) {
      expect(services[name], name).toBeDefined();
      expect(services[name].profiles, name).toBeUndefined();
    }
    for (const name of ['demo', 'postgres', 'redis'])
      expect(services[name]?.profiles, name).toEqual(['demo']);
  });

  it('pins every image to a version, with Prometheus 3, Grafana 12+ and Jaeger 2', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+(\.\d+)?(-[\w.]+)?$/);
    }
    expect(services['prometheus'].image).toMatch(/^prom\/prometheus:v3\./);
    expect(services['alertmanager'].image).toMatch(/^prom\/alertmanager:v0\./);
    expect(Number(/grafana\/grafana:(\d+)\./.exec(services['grafana'].image)?.[1])).toBeGreaterThanOrEqual(
      12,
    );
    expect(services['jaeger'].image).toMatch(/^jaegertracing\/jaeger:2\./);
  });

  it('publishes ports on 127.0.0.1 only', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) expect(String(port), name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('keeps the collector queue and the TSDB in named volumes', () => {
    expect(services['otel-collector'].volumes).toContain('collector-queue:/var/lib/otelcol/queue');
    expect(services['prometheus'].volumes).toContain('prometheus-data:/prometheus');
    expect(services['prometheus'].command).toContain('--storage.tsdb.path=/prometheus');
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(':')[0]!;
        if (!source.startsWith('.')) expect(volumes, source).toContain(source);
      }
    }
  });

  it('mounts only files that exist, and builds from Dockerfiles that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(join(root, source)), `${name}: ${source}`).toBe(true);
      }
      if (service.build) {
        expect(service.build.context, name).toBe('.');
        expect(existsSync(join(root, service.build.dockerfile)), `${name}: ${service.build.dockerfile}`).toBe(
          true,
        );
      }
    }
  });

  it('gives Grafana no default admin password', () => {
    const env = services['grafana'].environment as Record<string, string>;
    expect(env['GF_SECURITY_ADMIN_PASSWORD']).toMatch(/^\$\{GF_SECURITY_ADMIN_PASSWORD:\?.+\}$/);
    expect(env['GF_AUTH_ANONYMOUS_ENABLED']).toBe('false');
  });

  it('mounts the Grafana provisioning and dashboards where the provisioning files point', () => {
    const provider = yamlOf('grafana/provisioning/dashboards/otel-preset.yaml')['providers'][0];
    expect(services['grafana'].volumes).toContain(`./grafana/dashboards:${provider.options.path}:ro`);
    expect(services['grafana'].volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    const datasource = yamlOf('grafana/provisioning/datasources/prometheus.yaml')['datasources'][0];
    expect(datasource.uid).toBe(DATASOURCE.uid);
    expect(datasource.url).toBe('http://prometheus:9090');
    // Every ${VAR} the datasource file reads is set on the Grafana service.
    const env = services['grafana'].environment as Record<string, string>;
    for (const [, name] of read('grafana/provisioning/datasources/prometheus.yaml').matchAll(
      /(?<!\$)\$\{(\w+)\}/g,
    )) {
      expect(env[name!], name).toBeDefined();
    }
  });

  it('points Prometheus at the compose services and mounts its rules where prometheus.yml loads them', () => {
    const prom = yamlOf('prometheus/prometheus.yml');
    const targets = (prom['scrape_configs'] as Yaml[]).flatMap((job) =>
      job.static_configs.flatMap((c: Yaml) => c.targets),
    );
    for (const target of [...targets, ...prom['alerting'].alertmanagers[0].static_configs[0].targets]) {
      expect(Object.keys(services), target).toContain(String(target).split(':')[0]);
    }
    expect(prom['rule_files']).toEqual(['/etc/prometheus/rules/*.yml']);
    expect(services['prometheus'].volumes).toContain('./prometheus/rules:/etc/prometheus/rules:ro');
  });

  it.skipIf(!collectorAvailable())(
    'gives the collector a config it accepts (the real binary validates it)',
    () => {
      const service = services['otel-collector'];
      // Compose's ${VAR:-default}, with nothing set: what a fresh checkout gets.
      const env = Object.fromEntries(
        Object.entries(service.environment as Record<string, string>).map(([key, value]) => [
          key,
          String(value).replace(/\$\{\w+:-([^}]*)\}/g, '$1'),
        ]),
      );
      // Every variable the compose file sets is one the config reads.
      const config = readFileSync(COLLECTOR_CONFIG, 'utf8');
      for (const key of Object.keys(env))
        if (key !== 'GOMEMLIMIT') expect(config, key).toContain(`\${env:${key}`);
      const args = (service.command as string[]).map((arg) =>
        arg.replace('/etc/otelcol/config.yaml', COLLECTOR_CONFIG),
      );
      const storage = mkdtempSync(join(tmpdir(), 'compose-queue-'));
      try {
        execFileSync(COLLECTOR_BINARY, ['validate', ...args], {
          env: { PATH: process.env['PATH'] ?? '', ...env, OTEL_PRESET_COLLECTOR_STORAGE_DIR: storage },
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } finally {
        rmSync(storage, { recursive: true, force: true });
      }
    },
  );
});

describe('Grafana dashboards', () => {
  const rendered = renderDashboards();

  it('are the committed JSON, generated from grafana/src (UPDATE_DASHBOARDS=1 rewrites them)', () => {
    if (process.env['UPDATE_DASHBOARDS'] === '1') {
      for (const [file, json] of Object.entries(rendered))
        writeFileSync(join(root, 'grafana/dashboards', file), json);
    }
    const committed = readdirSync(join(root, 'grafana/dashboards')).filter((f) => f.endsWith('.json'));
    expect(committed.sort()).toEqual(Object.keys(rendered).sort());
    for (const [file, json] of Object.entries(rendered)) {
      expect(
        read(`grafana/dashboards/${file}`),
        `grafana/dashboards/${file} is stale: npm run grafana:dashboards`,
      ).toBe(json);
    }
  });

  it('have unique uids and use the provisioned datasource', () => {
    const dashboards = Object.values(rendered).map((json) => JSON.parse(json));
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    for (const dashboard of dashboards) {
      expect(dashboard.id).toBeNull();
      for (const panel of dashboard.panels.filter((p: Yaml) => p.type !== 'row')) {
        expect(panel.datasource, panel.title).toEqual(DATASOURCE);
        expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      }
    }
  });
});
