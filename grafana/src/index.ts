// SPDX-License-Identifier: Apache-2.0
// Every dashboard, by the file name it is written to in grafana/dashboards/.
import { buildDashboard } from './builder.js';
import { browserDashboard } from './dashboards/browser.js';
import { collectorDashboard } from './dashboards/collector.js';
import { llmDashboard } from './dashboards/llm.js';
import { queuesDashboard } from './dashboards/queues.js';
import { runtimeDashboard } from './dashboards/runtime.js';
import { serviceDashboard } from './dashboards/service.js';

export { buildDashboard, dashboardQueries } from './builder.js';

const SPECS = {
  'service-overview.json': serviceDashboard,
  'llm.json': llmDashboard,
  'queues.json': queuesDashboard,
  'browser-sessions.json': browserDashboard,
  'runtime-database.json': runtimeDashboard,
  'collector.json': collectorDashboard,
};

/** File name to the JSON text committed in grafana/dashboards/. */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(SPECS).map(([file, spec]) => [file, `${JSON.stringify(buildDashboard(spec), null, 2)}\n`]),
  );
}
