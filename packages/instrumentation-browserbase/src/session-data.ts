// SPDX-License-Identifier: Apache-2.0
// Reads the fields we use from Browserbase API payloads. Payloads are typed `unknown` on purpose:
// we only ever read them, field by field, and a field of the wrong type is simply absent.
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_BROWSERBASE_CONNECT_URL,
  ATTR_BROWSERBASE_DEBUGGER_URL,
  ATTR_BROWSERBASE_PROJECT_ID,
  ATTR_BROWSERBASE_REGION,
  ATTR_BROWSERBASE_SESSION_EXPIRES_AT,
  ATTR_BROWSERBASE_SESSION_ID,
  ATTR_BROWSERBASE_SESSION_KEEP_ALIVE,
  ATTR_BROWSERBASE_SESSION_PROXY_BYTES,
  ATTR_BROWSERBASE_SESSION_STATUS,
  ATTR_BROWSERBASE_USER_METADATA,
} from './semconv.js';

export interface SessionData {
  id?: string;
  projectId?: string;
  region?: string;
  status?: string;
  keepAlive?: boolean;
  expiresAt?: string;
  proxyBytes?: number;
  connectUrl?: string;
  userMetadata?: unknown;
}

export const TERMINAL_STATUSES = new Set(['COMPLETED', 'TIMED_OUT', 'ERROR']);

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

export function sessionData(value: unknown): SessionData | undefined {
  const raw = record(value);
  if (!raw) return undefined;
  return {
    id: str(raw['id']),
    projectId: str(raw['projectId']),
    region: str(raw['region']),
    status: str(raw['status']),
    keepAlive: typeof raw['keepAlive'] === 'boolean' ? raw['keepAlive'] : undefined,
    expiresAt: str(raw['expiresAt']),
    proxyBytes: num(raw['proxyBytes']),
    connectUrl: str(raw['connectUrl']),
    userMetadata: raw['userMetadata'],
  };
}

/** `list` returns an array today; a page object (`{ data: [...] }`) is handled for later majors. */
export function listedSessions(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  const data = record(value)?.['data'];
  return Array.isArray(data) ? data : undefined;
}

export function expiresAtMs(data: SessionData): number | undefined {
  if (!data.expiresAt) return undefined;
  const ms = Date.parse(data.expiresAt);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Span attributes for a session payload; URLs and metadata only when `captureUrls`. */
export function sessionAttributes(data: SessionData, captureUrls: boolean): Attributes {
  const attributes: Attributes = {};
  if (data.id) attributes[ATTR_BROWSERBASE_SESSION_ID] = data.id;
  if (data.projectId) attributes[ATTR_BROWSERBASE_PROJECT_ID] = data.projectId;
  if (data.region) attributes[ATTR_BROWSERBASE_REGION] = data.region;
  if (data.status) attributes[ATTR_BROWSERBASE_SESSION_STATUS] = data.status;
  if (data.keepAlive !== undefined) attributes[ATTR_BROWSERBASE_SESSION_KEEP_ALIVE] = data.keepAlive;
  if (data.expiresAt) attributes[ATTR_BROWSERBASE_SESSION_EXPIRES_AT] = data.expiresAt;
  if (data.proxyBytes !== undefined) attributes[ATTR_BROWSERBASE_SESSION_PROXY_BYTES] = data.proxyBytes;
  if (captureUrls) {
    if (data.connectUrl) attributes[ATTR_BROWSERBASE_CONNECT_URL] = data.connectUrl;
    if (data.userMetadata !== undefined)
      attributes[ATTR_BROWSERBASE_USER_METADATA] = safeJson(data.userMetadata);
  }
  return attributes;
}

/** Debug payload (`sessions.debug`): live URLs grant control of the browser, so only when opted in. */
export function debugAttributes(value: unknown, captureUrls: boolean): Attributes {
  const raw = record(value);
  const url = str(raw?.['debuggerFullscreenUrl']) ?? str(raw?.['debuggerUrl']);
  return captureUrls && url ? { [ATTR_BROWSERBASE_DEBUGGER_URL]: url } : {};
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
