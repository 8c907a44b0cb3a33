// SPDX-License-Identifier: Apache-2.0
// Offers OTLP requests at a fixed rate over keep-alive connections and counts the answers.
import { Agent, request } from 'node:http';

export async function offer({ url, body, itemsPerRequest, itemsPerSecond, seconds, connections = 16 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const statuses = new Map();
  let inFlight = 0;
  let sent = 0;
  const count = (status) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const send = () =>
    new Promise((resolve) => {
      const payload = body();
      inFlight++;
      sent++;
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'content-length': payload.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            count(res.statusCode);
            inFlight--;
            resolve();
          });
        },
      );
      req.on('error', () => {
        count(0);
        inFlight--;
        resolve();
      });
      req.end(payload);
    });

  const requestsPerSecond = itemsPerSecond / itemsPerRequest;
  const started = performance.now();
  const pending = new Set();
  let skipped = 0;
  for (;;) {
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed >= seconds) break;
    const due = Math.floor(elapsed * requestsPerSecond) - sent - skipped;
    for (let i = 0; i < due; i++) {
      // A backed-up collector must not make the generator queue without bound: past the connection
      // pool, offered load that cannot be sent counts as skipped.
      if (inFlight >= connections * 4) {
        skipped++;
        continue;
      }
      const p = send();
      pending.add(p);
      p.then(() => pending.delete(p));
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
  agent.destroy();
  return { sent, skipped, statuses: Object.fromEntries(statuses) };
}
