// SPDX-License-Identifier: Apache-2.0
// OTLP/protobuf encoding of an ExportTraceServiceRequest, byte for byte what the upstream
// ProtobufTraceSerializer produces, at a fraction of its cost. Span export runs on the app's main
// thread, and under load the upstream serializer was the largest single cost we add per request: it
// walks every batch twice (once to size the buffer, once to write), re-encodes the same attribute keys
// and values for every span, and allocates three arrays per span for the ids. Here one pass writes into
// a buffer reused across batches, strings that repeat (keys, span and scope names, most values) are
// encoded once and copied, and ids are decoded from hex straight into the buffer.
import type { Attributes, AttributeValue, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';

const LEN = 2;
const VARINT = 0;
const I64 = 1;
const I32 = 5;
const INITIAL_BUFFER = 64 * 1024;
// Keys and names only (attribute values go through the KeyValue cache or are written as they are).
// Bounded all the same, in case an app puts ids in span names: when full, the cache starts over.
const STRING_CACHE_ENTRIES = 4096;
const CACHED_STRING_MAX_LENGTH = 256;
const KEY_VALUE_CACHE_KEYS = 1024;
const KEY_VALUE_CACHE_VALUES_PER_KEY = 32;
const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_CONTEXT_IS_REMOTE = 0x200;
const TWO_POW_32 = 4_294_967_296;

function varintSize(value: number): number {
  if (value < 0) return 10;
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 5;
  for (let v = Math.floor(value / 2 ** 35); v > 0; v = Math.floor(v / 128)) size++;
  return size;
}

// Nibble value of each hex digit's char code (0-9, a-f, A-F); ids come from the SDK as hex strings.
const HEX = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[97 + i] = 10 + i;
  HEX[65 + i] = 10 + i;
}

// Shared by every writer: the same keys and names are written into every scope's spans.
const textEncoder = new TextEncoder();
const encodedStrings = new Map<string, Uint8Array>();

class ProtoWriter {
  // Not zero-filled: only bytes below `pos` are ever read, and all of them were written.
  buf: Buffer;
  pos = 0;
  private view: DataView;

  constructor(size = INITIAL_BUFFER) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  ensure(size: number): void {
    const needed = this.pos + size;
    if (needed <= this.buf.length) return;
    let length = this.buf.length * 2;
    while (length < needed) length *= 2;
    const next = Buffer.allocUnsafe(length);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** The bytes written so far, copied (the sender keeps them while this buffer is reused), and a reset. */
  take(): Uint8Array {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }

  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value < TWO_POW_32) {
      let v = value >>> 0;
      while (v > 127) {
        buf[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    // 64-bit two's complement, as protobuf encodes int64 (negative values take ten bytes).
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / TWO_POW_32) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / TWO_POW_32) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      buf[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low & 127;
  }

  tag(field: number, wireType: number): void {
    const key = (field << 3) | wireType;
    if (key < 128) {
      this.ensure(1);
      this.buf[this.pos++] = key;
    } else this.varint(key);
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** HrTime [seconds, nanoseconds] as fixed64 nanoseconds, without losing precision past 2^53. */
  hrTime(time: HrTime): void {
    const [seconds, nanos] = time;
    // seconds * 1e9 + nanos, split into 32-bit halves: seconds = hi * 2^16 + lo keeps each product exact.
    const lo = (seconds & 0xffff) * 1e9;
    const hi = Math.floor(seconds / 0x10000) * 1e9; // to be multiplied by 2^16
    const low = (lo % TWO_POW_32) + (hi % 0x10000) * 0x10000 + nanos;
    const high = Math.floor(lo / TWO_POW_32) + Math.floor(hi / 0x10000) + Math.floor(low / TWO_POW_32);
    this.ensure(8);
    this.view.setUint32(this.pos, low >>> 0, true);
    this.view.setUint32(this.pos + 4, high >>> 0, true);
    this.pos += 8;
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.raw(value);
  }

  /** Bytes copied as they are (already encoded, length prefix included). */
  raw(value: Uint8Array): void {
    this.ensure(value.length);
    if (value.length <= 32) {
      for (let i = 0; i < value.length; i++) this.buf[this.pos++] = value[i]!;
    } else {
      this.buf.set(value, this.pos);
      this.pos += value.length;
    }
  }

  /** A length-prefixed id written from its hex form. */
  hexBytes(hex: string): void {
    const length = hex.length >> 1;
    this.ensure(length + 1);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = length;
    for (let i = 0; i < hex.length; i += 2) {
      buf[pos++] = (HEX[hex.charCodeAt(i) & 127]! << 4) | HEX[hex.charCodeAt(i + 1) & 127]!;
    }
    this.pos = pos;
  }

  /** A string that repeats (keys, names): encoded once, then copied. */
  string(value: string): void {
    if (value.length > CACHED_STRING_MAX_LENGTH) {
      this.text(value);
      return;
    }
    let encoded = encodedStrings.get(value);
    if (encoded === undefined) {
      encoded = textEncoder.encode(value);
      if (encodedStrings.size >= STRING_CACHE_ENTRIES) encodedStrings.clear();
      encodedStrings.set(value, encoded);
    }
    this.bytes(encoded);
  }

  /**
   * A string that may never repeat (attribute values such as ids, messages), written without the
   * cache: each one would sit in it for thousands of spans, long enough for V8 to promote it.
   */
  text(value: string): void {
    const { length } = value;
    if (length < 128) {
      // ASCII in one pass; the length prefix is the char count, which is one byte here.
      this.ensure(length + 1);
      const buf = this.buf;
      let pos = this.pos + 1;
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 127) {
          this.utf8(value);
          return;
        }
        buf[pos++] = code;
      }
      buf[this.pos] = length;
      this.pos = pos;
      return;
    }
    this.utf8(value);
  }

  /** UTF-8 encoded straight into the buffer (at most three bytes per UTF-16 unit), length in front. */
  private utf8(value: string): void {
    this.ensure(value.length * 3 + 5);
    const start = this.start();
    this.pos += textEncoder.encodeInto(value, this.buf.subarray(this.pos)).written;
    this.finish(start);
  }

  /** Starts a length-delimited field's body; `finish` writes its length in front. */
  start(): number {
    this.ensure(1);
    return this.pos++;
  }

  finish(start: number): void {
    const length = this.pos - start - 1;
    if (length < 128) {
      this.buf[start] = length;
      return;
    }
    // One byte was reserved; move the body to make room for the longer length.
    const extra = varintSize(length) - 1;
    this.ensure(extra);
    this.buf.copyWithin(start + 1 + extra, start + 1, this.pos);
    this.pos += extra;
    let v = length;
    let at = start;
    while (v > 127) {
      this.buf[at++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[at] = v;
  }
}

function writeAnyValue(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, LEN);
      w.text(value);
      return;
    case 'boolean':
      w.tag(2, VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
        w.tag(3, VARINT);
        w.varint(value);
      } else {
        w.tag(4, I64);
        w.double(value);
      }
      return;
  }
  if (value instanceof Uint8Array) {
    w.tag(7, LEN);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, LEN);
    const array = w.start();
    for (const item of value) {
      w.tag(1, LEN);
      const entry = w.start();
      writeAnyValue(w, item);
      w.finish(entry);
    }
    w.finish(array);
  } else if (typeof value === 'object' && value !== null) {
    w.tag(6, LEN);
    const list = w.start();
    const object = value as Record<string, unknown>;
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      w.tag(1, LEN);
      writeKeyValue(w, key, object[key]);
    }
    w.finish(list);
  }
}

// KeyValue body: key(1), value(2).
function writeKeyValue(w: ProtoWriter, key: string, value: unknown): void {
  const kv = w.start();
  w.tag(1, LEN);
  w.string(key);
  w.tag(2, LEN);
  const any = w.start();
  writeAnyValue(w, value);
  w.finish(any);
  w.finish(kv);
}

type Scalar = string | number | boolean;

/**
 * Encoded KeyValue messages of attributes whose value repeats (`db.system.name=postgresql`,
 * `server.port=5432`). A key that shows more distinct values than a few dozen (paths, ids) is not
 * cached any more; the cache is bounded either way.
 */
class KeyValueCache {
  private readonly byKey = new Map<string, Map<Scalar, Uint8Array> | null>();
  private readonly scratch = new ProtoWriter(1024);

  get(key: string, value: Scalar): Uint8Array | undefined {
    let byValue = this.byKey.get(key);
    if (byValue === null) return undefined;
    if (byValue === undefined) {
      if (this.byKey.size >= KEY_VALUE_CACHE_KEYS) this.byKey.clear();
      byValue = new Map();
      this.byKey.set(key, byValue);
    }
    let encoded = byValue.get(value);
    if (encoded === undefined) {
      if (byValue.size >= KEY_VALUE_CACHE_VALUES_PER_KEY) {
        this.byKey.set(key, null);
        return undefined;
      }
      if (typeof value === 'string' && value.length > CACHED_STRING_MAX_LENGTH) return undefined;
      // Length-prefixed, as writeKeyValue writes it.
      this.scratch.pos = 0;
      writeKeyValue(this.scratch, key, value);
      encoded = this.scratch.take();
      byValue.set(value, encoded);
    }
    return encoded;
  }
}

const keyValues = new KeyValueCache();

function writeAttributes(w: ProtoWriter, attributes: Attributes, field: number): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key];
    const type = typeof value;
    if (type === 'string' || type === 'number' || type === 'boolean') {
      const encoded = keyValues.get(key, value as Scalar);
      if (encoded !== undefined) {
        w.tag(field, LEN);
        w.raw(encoded);
        continue;
      }
    }
    w.tag(field, LEN);
    writeKeyValue(w, key, value as AttributeValue | undefined);
  }
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (
    (traceFlags & 0xff) | SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE | (isRemote ? SPAN_FLAGS_CONTEXT_IS_REMOTE : 0)
  );
}

function writeEvent(w: ProtoWriter, event: TimedEvent): void {
  const start = w.start();
  w.tag(1, I64);
  w.hrTime(event.time);
  w.tag(2, LEN);
  w.string(event.name);
  if (event.attributes) writeAttributes(w, event.attributes, 3);
  w.tag(4, VARINT);
  w.varint(event.droppedAttributesCount || 0);
  w.finish(start);
}

/** Fields 1–3 of both Span and Span.Link: trace id, span id, trace state. */
function writeContext(w: ProtoWriter, context: SpanContext): void {
  w.tag(1, LEN);
  w.hexBytes(context.traceId);
  w.tag(2, LEN);
  w.hexBytes(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    w.tag(3, LEN);
    w.text(traceState);
  }
}

function writeLink(w: ProtoWriter, link: Link): void {
  const start = w.start();
  const { context } = link;
  writeContext(w, context);
  if (link.attributes) writeAttributes(w, link.attributes, 4);
  w.tag(5, VARINT);
  w.varint(link.droppedAttributesCount || 0);
  w.tag(6, I32);
  w.fixed32(spanFlags(context.traceFlags, context.isRemote));
  w.finish(start);
}

// Span fields in the order the upstream serializer writes them, so the output is identical.
function writeSpan(w: ProtoWriter, span: ReadableSpan): void {
  const start = w.start();
  const context = span.spanContext();
  writeContext(w, context);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, LEN);
    w.hexBytes(parent.spanId);
  }
  w.tag(5, LEN);
  w.string(span.name);
  // OTLP's SpanKind counts from UNSPECIFIED = 0; the API's from INTERNAL = 0.
  if (span.kind != null) {
    w.tag(6, VARINT);
    w.varint(span.kind + 1);
  }
  w.tag(7, I64);
  w.hrTime(span.startTime);
  w.tag(8, I64);
  w.hrTime(span.endTime);
  if (span.attributes) writeAttributes(w, span.attributes, 9);
  w.tag(10, VARINT);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) {
    w.tag(11, LEN);
    writeEvent(w, event);
  }
  w.tag(12, VARINT);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) {
    w.tag(13, LEN);
    writeLink(w, link);
  }
  w.tag(14, VARINT);
  w.varint(span.droppedLinksCount);
  w.tag(15, LEN);
  const status = w.start();
  if (span.status.message) {
    w.tag(2, LEN);
    w.text(span.status.message);
  }
  w.tag(3, VARINT);
  w.varint(span.status.code);
  w.finish(status);
  w.tag(16, I32);
  w.fixed32(spanFlags(context.traceFlags, parent?.isRemote));
  w.finish(start);
}

type Scope = ReadableSpan['instrumentationScope'];

// InstrumentationScope body, and ScopeSpans' fields around its spans.
function writeScope(w: ProtoWriter, scope: Scope): void {
  const scopeStart = w.start();
  w.tag(1, LEN);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, LEN);
    w.string(scope.version);
  }
  const { attributes, droppedAttributesCount } = scope as Scope & {
    attributes?: Attributes;
    droppedAttributesCount?: number;
  };
  if (attributes) writeAttributes(w, attributes, 3);
  if (droppedAttributesCount) {
    w.tag(4, VARINT);
    w.varint(droppedAttributesCount);
  }
  w.finish(scopeStart);
}

function writeResource(w: ProtoWriter, resource: Resource): void {
  const resourceStart = w.start();
  if (resource.attributes) writeAttributes(w, resource.attributes, 1);
  w.tag(2, VARINT);
  w.varint(0);
  w.finish(resourceStart);
}

const SCOPE_BUFFER = 8 * 1024;

/**
 * An ExportTraceServiceRequest built a span at a time: each span is encoded when added, into its
 * scope's buffer, and `take()` wraps those buffers in their scope and resource messages. The output
 * is what the upstream serializer writes for the same spans in the same order (grouped by resource,
 * then scope, in order of first appearance). Encoding a span as it ends, rather than holding it for
 * the batch, lets the span and everything it references die young.
 */
export class TraceRequestEncoder {
  private resources = new Map<Resource, Map<Scope, ProtoWriter>>();
  private spare: ProtoWriter[] = [];
  /** Spans added since the last take(). */
  count = 0;

  add(span: ReadableSpan): void {
    let scopes = this.resources.get(span.resource);
    if (scopes === undefined) {
      scopes = new Map();
      this.resources.set(span.resource, scopes);
    }
    let spans = scopes.get(span.instrumentationScope);
    if (spans === undefined) {
      spans = this.spare.pop() ?? new ProtoWriter(SCOPE_BUFFER);
      scopes.set(span.instrumentationScope, spans);
    }
    const mark = spans.pos;
    try {
      spans.tag(2, LEN);
      writeSpan(spans, span);
    } catch (error) {
      spans.pos = mark;
      throw error;
    }
    this.count++;
  }

  /** The request for every span added since the last take(), or undefined when there were none. */
  take(): Uint8Array | undefined {
    if (this.count === 0) return undefined;
    const { resources } = this;
    this.resources = new Map();
    this.count = 0;
    try {
      for (const [resource, scopes] of resources) {
        // A scope whose only span failed to encode holds nothing; neither does its resource, then.
        for (const [scope, spans] of scopes) if (spans.pos === 0) scopes.delete(scope);
        if (scopes.size === 0) continue;
        writer.tag(1, LEN);
        const resourceSpans = writer.start();
        writer.tag(1, LEN);
        writeResource(writer, resource);
        for (const [scope, spans] of scopes) {
          writer.tag(2, LEN);
          const scopeSpans = writer.start();
          writer.tag(1, LEN);
          writeScope(writer, scope);
          writer.raw(spans.buf.subarray(0, spans.pos));
          if (scope.schemaUrl) {
            writer.tag(3, LEN);
            writer.string(scope.schemaUrl);
          }
          writer.finish(scopeSpans);
          spans.pos = 0;
          this.spare.push(spans);
        }
        if (resource.schemaUrl) {
          writer.tag(3, LEN);
          writer.string(resource.schemaUrl);
        }
        writer.finish(resourceSpans);
      }
      return writer.take();
    } finally {
      writer.pos = 0;
    }
  }
}

// Reused for every request: requests are assembled one at a time, synchronously.
const writer = new ProtoWriter();

/** Serializes spans as an OTLP ExportTraceServiceRequest, grouped by resource, then scope. */
export function serializeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const encoder = new TraceRequestEncoder();
  for (const span of spans) encoder.add(span);
  return encoder.take() ?? new Uint8Array(0);
}
