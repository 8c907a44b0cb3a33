// SPDX-License-Identifier: Apache-2.0
// Our context class must behave exactly like the API's: immutable, inheriting, and usable by every API
// helper that stores things in a context; the manager must hand it out where the API's root would be.
import { context, createContextKey, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { PresetContext, PresetContextManager } from '../src/preset-context.js';

const KEY = createContextKey('test key');
const OTHER = createContextKey('other key');

describe('PresetContext', () => {
  it('is immutable: setValue and deleteValue return new contexts and leave the parent as it was', () => {
    const one = PresetContext.ROOT.setValue(KEY, 1);
    const two = one.setValue(OTHER, 2);
    const without = two.deleteValue(KEY);
    expect(PresetContext.ROOT.getValue(KEY)).toBeUndefined();
    expect([one.getValue(KEY), one.getValue(OTHER)]).toEqual([1, undefined]);
    expect([two.getValue(KEY), two.getValue(OTHER)]).toEqual([1, 2]);
    expect([without.getValue(KEY), without.getValue(OTHER)]).toEqual([undefined, 2]);
    expect(without).toBeInstanceOf(PresetContext);
  });

  it('keeps the same answers when a long chain of derived contexts is rebuilt from its live entries', () => {
    const keys = Array.from({ length: 40 }, (_, i) => createContextKey(`key ${i}`));
    let ctx = PresetContext.ROOT.setValue(KEY, 'first').deleteValue(KEY).setValue(OTHER, 'old');
    // Far more derivations than one chain holds, with overwrites and a deletion along the way.
    for (let round = 0; round < 3; round++) {
      keys.forEach((key, i) => {
        ctx = ctx.setValue(key, `${round}:${i}`);
      });
    }
    ctx = ctx.setValue(OTHER, 'new').deleteValue(keys[7]!);
    for (let i = 0; i < 40; i++) ctx = ctx.setValue(keys[39]!, `last ${i}`);
    expect(ctx.getValue(KEY)).toBeUndefined();
    expect(ctx.getValue(OTHER)).toBe('new');
    expect(ctx.getValue(keys[7]!)).toBeUndefined();
    expect(ctx.getValue(keys[8]!)).toBe('2:8');
    expect(ctx.getValue(keys[0]!)).toBe('2:0');
    expect(ctx.getValue(keys[39]!)).toBe('last 39');
    expect(ctx.deleteValue(OTHER).setValue(OTHER, 'again').getValue(OTHER)).toBe('again');
    // Rebuilt, the chain holds only live entries: 39 of the 40 keys and OTHER, not 200 derivations.
    expect((ctx as unknown as { length: number }).length).toBeLessThanOrEqual(41);
  });

  it('answers like the API root for everything the API and core store in a context', () => {
    const propagator = new W3CTraceContextPropagator();
    const carrier = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const getter = {
      get: (c: typeof carrier, key: string) => c[key as 'traceparent'],
      keys: () => ['traceparent'],
    };
    const ours = propagator.extract(PresetContext.ROOT, carrier, getter);
    const theirs = propagator.extract(ROOT_CONTEXT, carrier, getter);
    expect(trace.getSpanContext(ours)).toEqual(trace.getSpanContext(theirs));
    expect(trace.getSpanContext(ours)?.traceFlags).toBe(TraceFlags.SAMPLED);
    expect(ours).toBeInstanceOf(PresetContext);

    expect(isTracingSuppressed(PresetContext.ROOT)).toBe(false);
    expect(isTracingSuppressed(suppressTracing(PresetContext.ROOT))).toBe(true);
    const span = trace.wrapSpanContext(trace.getSpanContext(ours)!);
    expect(trace.getSpan(trace.setSpan(PresetContext.ROOT, span))).toBe(span);
    expect(trace.getSpan(trace.deleteSpan(trace.setSpan(PresetContext.ROOT, span)))).toBeUndefined();
  });
});

describe('PresetContextManager', () => {
  afterEach(() => context.disable());

  it('hands out our root where no context is active, and the active context where one is', async () => {
    context.setGlobalContextManager(new PresetContextManager().enable());
    expect(context.active()).toBe(PresetContext.ROOT);
    const inner = context.active().setValue(KEY, 'request');
    await context.with(inner, async () => {
      await Promise.resolve();
      expect(context.active()).toBe(inner);
      expect(context.active().getValue(KEY)).toBe('request');
    });
    expect(context.active()).toBe(PresetContext.ROOT);
    // A context from the API's own root stays what it is.
    const foreign = ROOT_CONTEXT.setValue(KEY, 'job');
    context.with(foreign, () => expect(context.active()).toBe(foreign));
  });
});
