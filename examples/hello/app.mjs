// SPDX-License-Identifier: Apache-2.0
// The smallest demo: an express app that calls itself once and exits. Run from the repo root:
//   npm run demo
// which starts it under the preload with spans printed to the console:
//   OTEL_TRACES_EXPORTER=console node --import @otel-preset/node/register examples/hello/app.mjs
import express from 'express';

const app = express();
app.get('/hello/:name', (req, res) => {
  res.json({ greeting: `hello, ${req.params.name}` });
});

const server = app.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const response = await fetch(`http://127.0.0.1:${port}/hello/world?utm_source=demo`);
  console.log(`GET /hello/world -> ${response.status} ${await response.text()}`);
  server.close();
});
