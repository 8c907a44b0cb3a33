// SPDX-License-Identifier: Apache-2.0
// Counters on the request path, made cheap. The metrics SDK sorts and serializes the attributes of
// every add() to find its series; instrumentation-pg adds to its pool counters six times per query.
// Here an add() only sums into a map keyed by the attribute values in the order given, and the sums
// are reported at collection time through the observable form of the same instrument, which exports
// the same cumulative series. Histograms and everything else go to the SDK unchanged.
import type {
  Attributes,
  AttributeValue,
  Counter,
  Meter,
  MeterOptions,
  MeterProvider,
  MetricOptions,
  ObservableCounter,
  ObservableUpDownCounter,
  UpDownCounter,
} from '@opentelemetry/api';

/** Series per instrument beyond which adds go to one overflow series, as the SDK's own limit does. */
export const SERIES_LIMIT = 2000;
const OVERFLOW: Attributes = { 'otel.metric.overflow': true };

interface Series {
  attributes: Attributes;
  value: number;
}

// Series are found through a trie keyed by attribute name, then value: the names and values
// instrumentations pass are mostly the same string instances every time, so the lookups hash nothing
// new, where building one key string per add() would.
interface Node {
  next?: Map<string, Map<unknown, Node>>;
  series?: Series;
}

function lookupKey(value: AttributeValue | undefined): unknown {
  // Arrays compare by content; no real attribute string starts with NUL.
  if (!Array.isArray(value)) return value;
  try {
    return `\u0000${JSON.stringify(value)}`;
  } catch {
    // A BigInt in an array: not a valid attribute value, but add() runs on the app's call path.
    return `\u0000${value.map(String).join('\u0000')}`;
  }
}

/** Sums adds per attribute set; `monotonic` counters ignore negative values, as the SDK does. */
export class SummedCounter implements Counter, UpDownCounter {
  private readonly root: Node = {};
  private readonly series: Series[] = [];
  private overflow: Series | undefined;

  constructor(
    observable: ObservableCounter | ObservableUpDownCounter,
    private readonly monotonic: boolean,
  ) {
    observable.addCallback((result) => {
      for (const { attributes, value } of this.collect()) {
        // One series the SDK cannot take (it rejects what it cannot hash) must not cost the others.
        try {
          result.observe(value, attributes);
        } catch {}
      }
    });
  }

  add(value: number, attributes: Attributes = {}): void {
    if (!Number.isFinite(value) || (this.monotonic && value < 0)) return;
    let node = this.root;
    for (const name in attributes) {
      node.next ??= new Map();
      let byValue = node.next.get(name);
      if (byValue === undefined) {
        byValue = new Map();
        node.next.set(name, byValue);
      }
      const key = lookupKey(attributes[name]);
      let child = byValue.get(key);
      if (child === undefined) {
        child = {};
        byValue.set(key, child);
      }
      node = child;
    }
    if (node.series === undefined) {
      if (this.series.length >= SERIES_LIMIT) {
        this.overflow ??= { attributes: OVERFLOW, value: 0 };
        this.overflow.value += value;
        return;
      }
      node.series = { attributes: { ...attributes }, value: 0 };
      this.series.push(node.series);
    }
    node.series.value += value;
  }

  /** The sums, with attribute sets that were added in different key orders merged into one series. */
  collect(): Series[] {
    const merged = new Map<string, Series>();
    for (const { attributes, value } of this.overflow ? [...this.series, this.overflow] : this.series) {
      let canonical = '';
      for (const name of Object.keys(attributes).sort()) {
        canonical += `${name}\u0001${String(lookupKey(attributes[name]))}\u0001${typeof attributes[name]}\u0002`;
      }
      const existing = merged.get(canonical);
      if (existing) existing.value += value;
      else merged.set(canonical, { attributes, value });
    }
    return [...merged.values()];
  }
}

class SummingMeter implements Meter {
  // Instrumentations create their instruments again whenever they are given a meter provider; a
  // second observable with the same name would report every series twice.
  private readonly counters = new Map<string, SummedCounter>();

  constructor(private readonly meter: Meter) {}

  createCounter(name: string, options?: MetricOptions): Counter {
    return this.summed(`counter:${name}`, () => this.meter.createObservableCounter(name, options), true);
  }

  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    return this.summed(
      `updown:${name}`,
      () => this.meter.createObservableUpDownCounter(name, options),
      false,
    );
  }

  private summed(
    key: string,
    create: () => ObservableCounter | ObservableUpDownCounter,
    monotonic: boolean,
  ): SummedCounter {
    let counter = this.counters.get(key);
    if (counter === undefined) {
      counter = new SummedCounter(create(), monotonic);
      this.counters.set(key, counter);
    }
    return counter;
  }

  createGauge: Meter['createGauge'] = (...args) => this.meter.createGauge(...args);
  createHistogram: Meter['createHistogram'] = (...args) => this.meter.createHistogram(...args);
  createObservableGauge: Meter['createObservableGauge'] = (...args) =>
    this.meter.createObservableGauge(...args);
  createObservableCounter: Meter['createObservableCounter'] = (...args) =>
    this.meter.createObservableCounter(...args);
  createObservableUpDownCounter: Meter['createObservableUpDownCounter'] = (...args) =>
    this.meter.createObservableUpDownCounter(...args);
  addBatchObservableCallback: Meter['addBatchObservableCallback'] = (...args) =>
    this.meter.addBatchObservableCallback(...args);
  removeBatchObservableCallback: Meter['removeBatchObservableCallback'] = (...args) =>
    this.meter.removeBatchObservableCallback(...args);
}

/** The same meters, with counters summed in memory: the provider for instrumentations and the app. */
export function withSummedCounters(provider: MeterProvider): MeterProvider {
  const meters = new Map<string, Meter>();
  return {
    getMeter(name: string, version?: string, options?: MeterOptions): Meter {
      const key = `${name}@${version ?? ''}`;
      let meter = meters.get(key);
      if (meter === undefined) {
        meter = new SummingMeter(provider.getMeter(name, version, options));
        meters.set(key, meter);
      }
      return meter;
    },
  };
}
