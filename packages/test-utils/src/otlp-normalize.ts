// SPDX-License-Identifier: Apache-2.0

// Turns an Export*ServiceRequest (from OTLP/JSON, or from the protobuf decoder,
// which yields the same camelCase shape) into flat records that tests can
// assert on without caring which encoding the exporter used.
//
// The two encodings disagree on representation, and everything below exists to
// hide that: ids are hex strings in JSON but bytes in protobuf; 64-bit integers
// are strings (or numbers) in JSON but Long-derived strings from protobuf; enums
// may be numbers or names in JSON; and proto3 omits zero-valued scalars on the
// wire while JSON writers usually spell them out.

export type Attributes = Record<string, unknown>;

export type SpanKindName = 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type StatusCodeName = 'UNSET' | 'OK' | 'ERROR';

export interface InstrumentationScopeInfo {
  name: string;
  version: string | undefined;
}

export interface ReceivedSpanEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: Attributes;
}

export interface ReceivedSpanLink {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: SpanKindName;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  status: { code: StatusCodeName; message?: string };
  events: ReceivedSpanEvent[];
  links: ReceivedSpanLink[];
  resource: Attributes;
  scope: InstrumentationScopeInfo;
}

export type MetricType = 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram' | 'summary';
export type Temporality = 'CUMULATIVE' | 'DELTA' | 'UNSPECIFIED';

export interface ExponentialBuckets {
  offset: number;
  bucketCounts: number[];
}

export interface ReceivedDataPoint {
  attributes: Attributes;
  startTimeUnixNano: bigint | undefined;
  timeUnixNano: bigint;
  /** Sum and gauge points. */
  value?: number;
  /** Histogram, exponential histogram and summary points. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  /** Explicit-bucket histogram points. */
  bucketCounts?: number[];
  explicitBounds?: number[];
  /** Exponential histogram points. */
  scale?: number;
  zeroCount?: number;
  positive?: ExponentialBuckets;
  negative?: ExponentialBuckets;
  /** Summary points. */
  quantileValues?: Array<{ quantile: number; value: number }>;
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  description: string;
  type: MetricType;
  /** Only set for sums. */
  monotonic?: boolean;
  /** Not set for gauges and summaries, which carry no temporality. */
  temporality?: Temporality;
  dataPoints: ReceivedDataPoint[];
  resource: Attributes;
  scope: InstrumentationScopeInfo;
}

type Obj = Record<string, unknown>;

const SPAN_KINDS: Record<number, SpanKindName> = {
  // The spec lets receivers read UNSPECIFIED as INTERNAL.
  0: 'INTERNAL',
  1: 'INTERNAL',
  2: 'SERVER',
  3: 'CLIENT',
  4: 'PRODUCER',
  5: 'CONSUMER',
};
const STATUS_CODES: Record<number, StatusCodeName> = { 0: 'UNSET', 1: 'OK', 2: 'ERROR' };
const TEMPORALITIES: Record<number, Temporality> = { 0: 'UNSPECIFIED', 1: 'DELTA', 2: 'CUMULATIVE' };

function obj(value: unknown): Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  if (typeof value === 'string' && value !== '') return BigInt(value);
  // A protobufjs Long, should a caller decode without the `longs: String` option.
  if (value !== null && typeof value === 'object' && 'low' in value && 'high' in value) {
    return BigInt(String(value));
  }
  return 0n;
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === undefined || value === null || value === '') return 0;
  return Number(value);
}

function optionalNumber(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : toNumber(value);
}

/** Integers that fit stay numbers so tests can write `42`; larger ones keep full precision. */
function toInteger(value: unknown): number | bigint {
  const big = toBigInt(value);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return Buffer.alloc(0);
}

/** OTLP/JSON mandates hex ids, but some writers still emit base64; hex and base64 id lengths never collide. */
function toHexId(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value !== 'string') return '';
  if (/^[0-9a-fA-F]*$/.test(value)) return value.toLowerCase();
  return Buffer.from(value, 'base64').toString('hex');
}

function enumValue<T extends string>(
  value: unknown,
  table: Record<number, T>,
  prefix: string,
  fallback: T,
): T {
  if (typeof value === 'number') return table[value] ?? fallback;
  if (typeof value === 'string') {
    const short = value.startsWith(prefix) ? value.slice(prefix.length) : value;
    const known = Object.values(table).find((name) => name === short);
    if (known) return known;
    const numeric = Number(value);
    if (Number.isInteger(numeric)) return table[numeric] ?? fallback;
  }
  return fallback;
}

export function flattenAnyValue(value: unknown): unknown {
  const v = obj(value);
  if ('stringValue' in v) return str(v.stringValue);
  if ('boolValue' in v) return v.boolValue === true || v.boolValue === 'true';
  if ('intValue' in v) return toInteger(v.intValue);
  if ('doubleValue' in v) return toNumber(v.doubleValue);
  if ('arrayValue' in v) return list(obj(v.arrayValue).values).map(flattenAnyValue);
  if ('kvlistValue' in v) return flattenAttributes(obj(v.kvlistValue).values);
  if ('bytesValue' in v) return toBytes(v.bytesValue);
  return undefined;
}

export function flattenAttributes(keyValues: unknown): Attributes {
  const out: Attributes = {};
  for (const entry of list(keyValues)) {
    const kv = obj(entry);
    out[str(kv.key)] = flattenAnyValue(kv.value);
  }
  return out;
}

function scopeOf(scope: unknown): InstrumentationScopeInfo {
  const s = obj(scope);
  return { name: str(s.name), version: str(s.version) || undefined };
}

export function normalizeTraces(request: unknown): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of list(obj(request).resourceSpans)) {
    const resourceSpans = obj(rs);
    const resource = flattenAttributes(obj(resourceSpans.resource).attributes);
    for (const ss of list(resourceSpans.scopeSpans)) {
      const scopeSpans = obj(ss);
      const scope = scopeOf(scopeSpans.scope);
      for (const raw of list(scopeSpans.spans)) {
        const span = obj(raw);
        const status = obj(span.status);
        const message = str(status.message);
        spans.push({
          traceId: toHexId(span.traceId),
          spanId: toHexId(span.spanId),
          parentSpanId: toHexId(span.parentSpanId),
          name: str(span.name),
          kind: enumValue(span.kind, SPAN_KINDS, 'SPAN_KIND_', 'INTERNAL'),
          startTimeUnixNano: toBigInt(span.startTimeUnixNano),
          endTimeUnixNano: toBigInt(span.endTimeUnixNano),
          attributes: flattenAttributes(span.attributes),
          status: {
            code: enumValue(status.code, STATUS_CODES, 'STATUS_CODE_', 'UNSET'),
            ...(message ? { message } : {}),
          },
          events: list(span.events).map((e) => {
            const event = obj(e);
            return {
              name: str(event.name),
              timeUnixNano: toBigInt(event.timeUnixNano),
              attributes: flattenAttributes(event.attributes),
            };
          }),
          links: list(span.links).map((l) => {
            const link = obj(l);
            return {
              traceId: toHexId(link.traceId),
              spanId: toHexId(link.spanId),
              attributes: flattenAttributes(link.attributes),
            };
          }),
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

function commonPointFields(
  point: Obj,
): Pick<ReceivedDataPoint, 'attributes' | 'startTimeUnixNano' | 'timeUnixNano'> {
  return {
    attributes: flattenAttributes(point.attributes),
    startTimeUnixNano: point.startTimeUnixNano === undefined ? undefined : toBigInt(point.startTimeUnixNano),
    timeUnixNano: toBigInt(point.timeUnixNano),
  };
}

function numberPoint(raw: unknown): ReceivedDataPoint {
  const point = obj(raw);
  const value =
    point.asDouble !== undefined
      ? toNumber(point.asDouble)
      : point.asInt !== undefined
        ? toNumber(point.asInt)
        : undefined;
  return { ...commonPointFields(point), ...(value === undefined ? {} : { value }) };
}

function withMinMaxSum(point: Obj): Pick<ReceivedDataPoint, 'sum' | 'min' | 'max'> {
  const out: Pick<ReceivedDataPoint, 'sum' | 'min' | 'max'> = {};
  const sum = optionalNumber(point.sum);
  const min = optionalNumber(point.min);
  const max = optionalNumber(point.max);
  if (sum !== undefined) out.sum = sum;
  if (min !== undefined) out.min = min;
  if (max !== undefined) out.max = max;
  return out;
}

function histogramPoint(raw: unknown): ReceivedDataPoint {
  const point = obj(raw);
  return {
    ...commonPointFields(point),
    count: toNumber(point.count),
    ...withMinMaxSum(point),
    bucketCounts: list(point.bucketCounts).map(toNumber),
    explicitBounds: list(point.explicitBounds).map(toNumber),
  };
}

function buckets(raw: unknown): ExponentialBuckets {
  const b = obj(raw);
  return { offset: toNumber(b.offset), bucketCounts: list(b.bucketCounts).map(toNumber) };
}

function exponentialHistogramPoint(raw: unknown): ReceivedDataPoint {
  const point = obj(raw);
  return {
    ...commonPointFields(point),
    count: toNumber(point.count),
    ...withMinMaxSum(point),
    scale: toNumber(point.scale),
    zeroCount: toNumber(point.zeroCount),
    positive: buckets(point.positive),
    negative: buckets(point.negative),
  };
}

function summaryPoint(raw: unknown): ReceivedDataPoint {
  const point = obj(raw);
  return {
    ...commonPointFields(point),
    count: toNumber(point.count),
    sum: toNumber(point.sum),
    quantileValues: list(point.quantileValues).map((q) => {
      const qv = obj(q);
      return { quantile: toNumber(qv.quantile), value: toNumber(qv.value) };
    }),
  };
}

function temporalityOf(data: Obj): Temporality {
  return enumValue(data.aggregationTemporality, TEMPORALITIES, 'AGGREGATION_TEMPORALITY_', 'UNSPECIFIED');
}

function metricBody(
  metric: Obj,
): Pick<ReceivedMetric, 'type' | 'monotonic' | 'temporality' | 'dataPoints'> | undefined {
  if (metric.sum !== undefined) {
    const data = obj(metric.sum);
    return {
      type: 'sum',
      monotonic: data.isMonotonic === true,
      temporality: temporalityOf(data),
      dataPoints: list(data.dataPoints).map(numberPoint),
    };
  }
  if (metric.gauge !== undefined) {
    return { type: 'gauge', dataPoints: list(obj(metric.gauge).dataPoints).map(numberPoint) };
  }
  if (metric.histogram !== undefined) {
    const data = obj(metric.histogram);
    return {
      type: 'histogram',
      temporality: temporalityOf(data),
      dataPoints: list(data.dataPoints).map(histogramPoint),
    };
  }
  if (metric.exponentialHistogram !== undefined) {
    const data = obj(metric.exponentialHistogram);
    return {
      type: 'exponentialHistogram',
      temporality: temporalityOf(data),
      dataPoints: list(data.dataPoints).map(exponentialHistogramPoint),
    };
  }
  if (metric.summary !== undefined) {
    return { type: 'summary', dataPoints: list(obj(metric.summary).dataPoints).map(summaryPoint) };
  }
  return undefined;
}

export function normalizeMetrics(request: unknown): ReceivedMetric[] {
  const metrics: ReceivedMetric[] = [];
  for (const rm of list(obj(request).resourceMetrics)) {
    const resourceMetrics = obj(rm);
    const resource = flattenAttributes(obj(resourceMetrics.resource).attributes);
    for (const sm of list(resourceMetrics.scopeMetrics)) {
      const scopeMetrics = obj(sm);
      const scope = scopeOf(scopeMetrics.scope);
      for (const raw of list(scopeMetrics.metrics)) {
        const metric = obj(raw);
        const body = metricBody(metric);
        // A metric without a data field carries nothing to assert on.
        if (!body) continue;
        metrics.push({
          name: str(metric.name),
          unit: str(metric.unit),
          description: str(metric.description),
          ...body,
          resource,
          scope,
        });
      }
    }
  }
  return metrics;
}

export function countLogRecords(request: unknown): number {
  let count = 0;
  for (const rl of list(obj(request).resourceLogs)) {
    for (const sl of list(obj(rl).scopeLogs)) {
      count += list(obj(sl).logRecords).length;
    }
  }
  return count;
}
