// SPDX-License-Identifier: Apache-2.0
// A small typed builder for Grafana dashboard JSON: only the panel kinds and options our dashboards
// use, with the layout computed, so every dashboard looks and behaves the same and its queries can be
// listed for the end-to-end check.

/** The provisioned Prometheus datasource (grafana/provisioning/datasources/prometheus.yaml). */
export const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

export type Unit = 'short' | 'percentunit' | 's' | 'bytes' | 'reqps' | 'ops' | 'currencyUSD' | 'none';

export interface Query {
  expr: string;
  legend?: string;
  /** Show exemplars (trace ids) on this series; they link to the trace. */
  exemplar?: boolean;
  /** Table panels: evaluate once at the end of the range. */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  description: string;
  kind: 'timeseries' | 'stat' | 'table' | 'bargauge';
  unit: Unit;
  queries: Query[];
  /** Grid width out of 24; default 12. */
  width?: number;
  height?: number;
  /** Stat and bar gauge colour thresholds: [value, color] steps above the base (green). */
  thresholds?: [number, string][];
  stack?: boolean;
}

export interface VariableSpec {
  name: string;
  label: string;
  /** `label_values(metric, label)` */
  query: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: VariableSpec[];
  /** Rows of panels, each row titled. */
  rows: { title: string; panels: PanelSpec[] }[];
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function thresholdSteps(thresholds: [number, string][] = []) {
  return {
    mode: 'absolute',
    steps: [{ color: 'green', value: null }, ...thresholds.map(([value, color]) => ({ color, value }))],
  };
}

function panelOptions(spec: PanelSpec): Record<string, unknown> {
  switch (spec.kind) {
    case 'timeseries':
      return {
        legend: { displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max', 'lastNotNull'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
    case 'stat':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'value',
        graphMode: 'area',
        textMode: 'auto',
      };
    case 'bargauge':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        displayMode: 'gradient',
        orientation: 'horizontal',
        showUnfilled: true,
      };
    case 'table':
      return { showHeader: true, sortBy: [{ displayName: 'Value', desc: true }] };
  }
}

function fieldDefaults(spec: PanelSpec): Record<string, unknown> {
  const defaults: Record<string, unknown> = { unit: spec.unit, thresholds: thresholdSteps(spec.thresholds) };
  if (spec.kind === 'timeseries') {
    defaults['custom'] = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: spec.stack ? 30 : 10,
      showPoints: 'never',
      spanNulls: true,
      stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' },
    };
    defaults['color'] = { mode: 'palette-classic' };
  } else {
    defaults['color'] = { mode: 'thresholds' };
  }
  return defaults;
}

export function buildDashboard(spec: DashboardSpec): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const panel of row.panels) {
      const w = panel.width ?? 12;
      const h = panel.height ?? 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push({
        id: id++,
        type: panel.kind,
        title: panel.title,
        description: panel.description,
        datasource: DATASOURCE,
        gridPos: { h, w, x, y },
        targets: panel.queries.map((query, index) => ({
          refId: REF_IDS[index],
          datasource: DATASOURCE,
          expr: query.expr,
          legendFormat: query.legend ?? '__auto',
          range: !query.instant,
          instant: query.instant ?? false,
          exemplar: query.exemplar ?? false,
          ...(query.instant ? { format: 'table' } : {}),
        })),
        fieldConfig: { defaults: fieldDefaults(panel), overrides: [] },
        options: panelOptions(panel),
        ...(panel.kind === 'table'
          ? { transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }] }
          : {}),
      });
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }

  return {
    id: null,
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['otel-preset'],
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-3h', to: 'now' },
    links: [
      {
        type: 'dashboards',
        tags: ['otel-preset'],
        asDropdown: true,
        title: 'otel-preset',
        includeVars: true,
        keepTime: true,
      },
    ],
    templating: {
      list: spec.variables.map((variable) => ({
        type: 'query',
        name: variable.name,
        label: variable.label,
        datasource: DATASOURCE,
        definition: variable.query,
        query: { query: variable.query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: '.*',
        current: { selected: true, text: ['All'], value: ['$__all'] },
        sort: 1,
      })),
    },
    annotations: { list: [] },
    panels,
  };
}

/** Every query of a built dashboard, with the panel it belongs to, for checks. */
export function dashboardQueries(dashboard: Record<string, unknown>): { panel: string; expr: string }[] {
  const panels = dashboard['panels'] as { title: string; type: string; targets?: { expr: string }[] }[];
  return panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
  );
}
