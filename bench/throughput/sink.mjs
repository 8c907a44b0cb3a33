// SPDX-License-Identifier: Apache-2.0
// The receiver every variant exports to: OTLP/HTTP (/v1/traces, /v1/metrics, /v1/logs) and Sentry's
// envelope endpoint. It answers 200 at once and keeps only counters, so a long run holds no telemetry
// in memory; it does count the spans it receives, which shows that data arrived and how much each
// variant sends per request.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
  }
}

// Calls `onField(field, start, end)` for each length-delimited field of a protobuf message; skips the rest.
function eachLenField(buf, start, end, onField) {
  let pos = start;
  while (pos < end) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const wire = key & 7;
    if (wire === 0) [, pos] = readVarint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      onField(key >>> 3, pos, pos + len);
      pos += len;
    } else return;
  }
}

// ExportTraceServiceRequest.resource_spans(1) -> ResourceSpans.scope_spans(2) -> ScopeSpans.spans(2).
function countProtobufSpans(buf) {
  let spans = 0;
  eachLenField(buf, 0, buf.length, (f1, s1, e1) => {
    if (f1 !== 1) return;
    eachLenField(buf, s1, e1, (f2, s2, e2) => {
      if (f2 !== 2) return;
      eachLenField(buf, s2, e2, (f3) => {
        if (f3 === 2) spans++;
      });
    });
  });
  return spans;
}

function countJsonSpans(buf) {
  const body = JSON.parse(buf.toString('utf8'));
  let spans = 0;
  for (const rs of body.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
  return spans;
}

// An envelope is newline-separated JSON: a header, then item header / payload pairs. Sentry's Node SDK
// v11 sends spans as `span` items whose header carries `item_count`; older ones send a `transaction`
// item, which is its root span plus its `spans`.
function countEnvelopeSpans(buf) {
  const lines = buf.toString('utf8').split('\n');
  let spans = 0;
  for (let i = 1; i + 1 < lines.length; i += 2) {
    const header = JSON.parse(lines[i]);
    if (header.type === 'span') spans += header.item_count ?? 1;
    else if (header.type === 'transaction') spans += 1 + (JSON.parse(lines[i + 1]).spans?.length ?? 0);
  }
  return spans;
}

function countSpans(path, contentType, body) {
  try {
    if (path === '/v1/traces') {
      return contentType.includes('json') ? countJsonSpans(body) : countProtobufSpans(body);
    }
    if (path.endsWith('/envelope/')) return countEnvelopeSpans(body);
  } catch {
    // A body we cannot read still counts as received; only the span count is lost.
  }
  return 0;
}

export async function startSink() {
  const stats = { requests: 0, bytes: 0, spans: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      stats.requests++;
      stats.bytes += body.length;
      if (/gzip/i.test(req.headers['content-encoding'] ?? '')) body = gunzipSync(body);
      const path = (req.url ?? '/').split('?', 1)[0];
      stats.spans += countSpans(path, req.headers['content-type'] ?? '', body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    stats,
    reset() {
      stats.requests = 0;
      stats.bytes = 0;
      stats.spans = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
