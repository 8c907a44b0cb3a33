// SPDX-License-Identifier: Apache-2.0
// Compiled by `npm run typecheck` against the built declarations (package "exports" → dist/types), the
// way a TypeScript app sees @otel-preset/node. Never run.
import {
  flush,
  type PresetHandle,
  type SpanOptions,
  shutdown,
  start,
  traced,
  withSpan,
} from '@otel-preset/node';

const handle: PresetHandle = start({ serviceName: 'typed', installShutdownHandlers: false });
const options: SpanOptions = { attributes: { 'order.items': 2 } };

export async function checkout(items: number): Promise<number> {
  const total = await withSpan(
    'checkout',
    async (span) => {
      span.setAttribute('order.items', items);
      return items * 10;
    },
    options,
  );
  const double: (n: number) => number = traced('double', (n: number) => n * 2);
  await flush();
  await handle.ready;
  await shutdown();
  return double(total);
}
