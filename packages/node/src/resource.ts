// SPDX-License-Identifier: Apache-2.0
// Resource attributes computed synchronously from the process itself: no network, no async detectors
// unless the user names cloud detectors in OTEL_NODE_RESOURCE_DETECTORS.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { arch, hostname, release, type } from 'node:os';
import { basename } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import {
  detectResources,
  type Resource,
  type ResourceDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import type { AppContext } from './app-context.js';
import type { PresetConfig } from './config.js';
import { log } from './logging.js';
import { VERSION } from './version.js';

const OS_TYPES: Record<string, string> = { Linux: 'linux', Darwin: 'darwin', Windows_NT: 'windows' };
const CLOUD_DETECTORS: Record<string, { pkg: string; exportName: string }> = {
  container: { pkg: '@opentelemetry/resource-detector-container', exportName: 'containerDetector' },
  aws: { pkg: '@opentelemetry/resource-detector-aws', exportName: 'awsEc2Detector' },
  gcp: { pkg: '@opentelemetry/resource-detector-gcp', exportName: 'gcpDetector' },
  azure: { pkg: '@opentelemetry/resource-detector-azure', exportName: 'azureVmDetector' },
  alibaba: { pkg: '@opentelemetry/resource-detector-alibaba-cloud', exportName: 'alibabaCloudEcsDetector' },
};

function machineId(): string | undefined {
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(file, 'utf8').trim();
      if (id) return id;
    } catch {
      // Not every host has one; host.id is optional.
    }
  }
  return undefined;
}

function builtInAttributes(detectors: Set<string>): Attributes {
  const attributes: Attributes = {};
  const all = detectors.has('all');
  if (all || detectors.has('host')) {
    attributes['host.name'] = hostname();
    attributes['host.arch'] = arch() === 'x64' ? 'amd64' : arch();
    const id = machineId();
    if (id) attributes['host.id'] = id;
  }
  if (all || detectors.has('os')) {
    attributes['os.type'] = OS_TYPES[type()] ?? type().toLowerCase();
    attributes['os.version'] = release();
  }
  if (all || detectors.has('process')) {
    // process.command_args is left out on purpose: argv often carries tokens and passwords.
    attributes['process.pid'] = process.pid;
    attributes['process.executable.name'] = basename(process.execPath);
    if (process.argv[1]) attributes['process.command'] = process.argv[1];
    attributes['process.runtime.name'] = 'nodejs';
    attributes['process.runtime.version'] = process.versions.node;
    attributes['process.runtime.description'] = 'Node.js';
  }
  if (all || detectors.has('serviceinstance')) attributes['service.instance.id'] = randomUUID();
  return attributes;
}

export interface ResolvedService {
  name: string;
  source: 'env' | 'package.json' | 'default';
}

export function resolveServiceName(config: PresetConfig, app: AppContext): ResolvedService {
  if (config.serviceName) return { name: config.serviceName, source: 'env' };
  const fromPackage = app.packageName();
  if (fromPackage) return { name: fromPackage, source: 'package.json' };
  return { name: `unknown_service:${basename(process.argv0 || 'node')}`, source: 'default' };
}

export function buildResource(config: PresetConfig, app: AppContext, serviceName: string): Resource {
  const detectors = new Set(config.resourceDetectors);
  if (detectors.has('none')) detectors.clear();
  const attributes: Attributes = {
    ...builtInAttributes(detectors),
    ...(detectors.has('env') || detectors.has('all') ? config.resourceAttributes : {}),
    'service.name': serviceName,
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.distro.name': '@otel-preset/node',
    'telemetry.distro.version': VERSION,
  };
  let resource = resourceFromAttributes(attributes);

  const cloud: ResourceDetector[] = [];
  for (const [name, { pkg, exportName }] of Object.entries(CLOUD_DETECTORS)) {
    if (!detectors.has(name) && !detectors.has('all')) continue;
    try {
      const detector = (app.require(pkg) as Record<string, ResourceDetector>)[exportName];
      if (detector) cloud.push(detector);
    } catch {
      log.warn(
        `resource detector '${name}' is enabled but ${pkg} is not installed; run 'npm install ${pkg}'.`,
      );
    }
  }
  // Cloud detectors answer asynchronously; their attributes join the resource when they resolve.
  if (cloud.length) resource = detectResources({ detectors: cloud }).merge(resource);
  return resource;
}
