// SPDX-License-Identifier: Apache-2.0
// Bundles the preset into one CommonJS file: one compile instead of hundreds of module loads at
// start-up.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Shared with the app and other instrumentation packages: the API's globals and import-in-the-middle's
// hook registry only work as one copy. require-in-the-middle keeps no shared state, so it is bundled.
const EXTERNAL = ['@opentelemetry/api', 'import-in-the-middle'];

// The OTel packages ship CommonJS and ESM builds, and their CommonJS builds require each other. Resolving
// every bundled require() to the ESM build leaves one copy of each package, and lets esbuild drop the
// unused parts (most of @opentelemetry/semantic-conventions): half the bundle, half the parse.
const preferEsmBuilds = {
  name: 'prefer-esm-builds',
  setup(builder) {
    builder.onResolve({ filter: /^[@a-z]/ }, async (args) => {
      if (args.kind !== 'require-call' || args.pluginData === 'resolving') return undefined;
      if (
        args.path.startsWith('node:') ||
        EXTERNAL.some((pkg) => args.path === pkg || args.path.startsWith(`${pkg}/`))
      ) {
        return undefined;
      }
      const esm = await builder.resolve(args.path, {
        kind: 'import-statement',
        resolveDir: args.resolveDir,
        pluginData: 'resolving',
      });
      return esm.errors.length ? undefined : esm;
    });
  },
};
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * Applies exact text edits to one upstream file as it is bundled. The build fails when upstream text
 * has changed, so an edit is never silently lost on an upgrade.
 */
function editUpstream(name, filter, edits) {
  return {
    name,
    setup(builder) {
      builder.onLoad({ filter }, async (args) => {
        let contents = await readFile(args.path, 'utf8');
        for (const [from, to] of edits) {
          if (!contents.includes(from)) throw new Error(`${name}: '${from}' not found in ${args.path}`);
          contents = contents.replace(from, to);
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

// @opentelemetry/instrumentation hooks require() with no module list, so require-in-the-middle resolves
// every require()d file of the app twice more to learn which package it belongs to (start-up grows with
// the app: open-telemetry/opentelemetry-js#3029). Handing it the list of module names that
// instrumentations register lets it skip every other package after a cheap path check.
const requireHookWithModuleList = editUpstream(
  'require-hook-with-module-list',
  /@opentelemetry[\\/]instrumentation[\\/].*RequireInTheMiddleSingleton\.mjs$/,
  [
    [
      '_moduleNameTrie = new ModuleNameTrie();',
      '_moduleNameTrie = new ModuleNameTrie();\n\t_moduleNames = [];',
    ],
    ['new Hook(null, { internals: true },', 'new Hook(this._moduleNames, { internals: true },'],
    [
      'this._moduleNameTrie.insert(hooked);',
      'this._moduleNameTrie.insert(hooked);\n\t\tthis._moduleNames.push(moduleName);',
    ],
  ],
);

// V8 pretenures an array or object literal's allocation site once most of its objects outlive a
// scavenge, and the parts of a span do: spans wait in the batch processor. From then on every span's
// part is allocated in the old generation, where it stays as garbage until the next full GC (about
// 2.5 MiB/s of old-generation growth on the /db benchmark) and keeps what it points to alive through
// every scavenge. A copy made by slice() and an object made by Object.create have no allocation site
// and cost about what a literal does (Array.of has none either, but is ten times slower), so the span's
// times, attributes, status and event list are made that way; they are the same plain arrays and objects.
const NO_SITE_OBJECT = 'Object.create(Object.prototype)';

// @opentelemetry/core checks every attribute value of every span with a fresh WeakSet (for cycles in
// nested maps, which a string or number cannot have) and copies the attribute object into an entries
// array first: at three spans per request that was 14 % of all the memory a request allocates. Same
// checks, same results, without the garbage. The attribute object it returns becomes the span's.
const cheapAttributeChecks = editUpstream(
  'cheap-attribute-checks',
  /@opentelemetry[\\/]core[\\/]dist[\\/]common[\\/]attributes\.mjs$/,
  [
    [
      'return isAnyValueInternal(val, /* @__PURE__ */ new WeakSet());',
      "const type = typeof val;\n\tif (type === 'string' || type === 'number' || type === 'boolean') return true;\n\treturn isAnyValueInternal(val, /* @__PURE__ */ new WeakSet());",
    ],
    [
      'for (const [key, val] of Object.entries(inAttributes)) {',
      'for (const key in inAttributes) {\n\t\tif (!Object.hasOwn(inAttributes, key)) continue;\n\t\tconst val = inAttributes[key];',
    ],
    ['\tconst attributes = {};', `\tconst attributes = ${NO_SITE_OBJECT};`],
  ],
);

const spanTimesWithoutSites = editUpstream(
  'span-times-without-allocation-sites',
  /@opentelemetry[\\/]core[\\/]dist[\\/]common[\\/]time\.mjs$/,
  [
    [
      'const NANOSECOND_DIGITS = 9;',
      'const HR_TIME_TEMPLATE = [0.5, 0.5];\nfunction newHrTime(seconds, nanos) {\n\tconst time = HR_TIME_TEMPLATE.slice();\n\ttime[0] = seconds;\n\ttime[1] = nanos;\n\treturn time;\n}\nconst NANOSECOND_DIGITS = 9;',
    ],
    [
      'return [Math.trunc(epochSeconds), Math.round(epochMillis % 1e3 * MILLISECONDS_TO_NANOSECONDS)];',
      'return newHrTime(Math.trunc(epochSeconds), Math.round(epochMillis % 1e3 * MILLISECONDS_TO_NANOSECONDS));',
    ],
    ['return [seconds, nanos];', 'return newHrTime(seconds, nanos);'],
    [
      'const out = [time1[0] + time2[0], time1[1] + time2[1]];',
      'const out = newHrTime(time1[0] + time2[0], time1[1] + time2[1]);',
    ],
  ],
);

const spanPartsWithoutSites = editUpstream(
  'span-parts-without-allocation-sites',
  /@opentelemetry[\\/]sdk-trace[\\/]dist[\\/]Span\.mjs$/,
  [
    [
      'var SpanImpl = class {',
      `const NO_EVENTS = [];\nfunction unsetStatus() {\n\tconst status = ${NO_SITE_OBJECT};\n\tstatus.code = SpanStatusCode.UNSET;\n\treturn status;\n}\nvar SpanImpl = class {`,
    ],
    ['\tevents = [];', '\tevents = NO_EVENTS.slice();'],
    ['\tstatus = { code: SpanStatusCode.UNSET };', '\tstatus = unsetStatus();'],
  ],
);

// @opentelemetry/sdk-metrics finds the series of every measurement by sorting the attribute keys and
// JSON-encoding the pairs, which allocates more per request than the span does. Our instrumentations
// record with frozen attribute objects they keep per series; their hash cannot change, so it is
// worked out once. Unfrozen attributes are hashed as before.
const frozenAttributeHashes = editUpstream(
  'frozen-attribute-hashes',
  /@opentelemetry[\\/]sdk-metrics[\\/]dist[\\/]utils\.mjs$/,
  [
    [
      'function hashAttributes(attributes) {',
      'const frozenAttributeHashes = new WeakMap();\nfunction hashAttributes(attributes) {\n\tif (!Object.isFrozen(attributes)) return hashAttributesOnce(attributes);\n\tlet hash = frozenAttributeHashes.get(attributes);\n\tif (hash === undefined) {\n\t\thash = hashAttributesOnce(attributes);\n\t\tfrozenAttributeHashes.set(attributes, hash);\n\t}\n\treturn hash;\n}\nfunction hashAttributesOnce(attributes) {',
    ],
  ],
);

// @opentelemetry/sdk-trace's startSpan validates attributes twice (once for the sampler, once more for
// the limits) and checks a parent's ids with the API's hex scan even when the parent is one of its own
// spans. Without sampler attributes or a length limit, and within the count limit, the second pass
// returns what the first did; a span this SDK made has valid ids by construction.
const leanStartSpan = editUpstream(
  'lean-start-span',
  /@opentelemetry[\\/]sdk-trace[\\/]dist[\\/]Tracer\.mjs$/,
  [
    [
      'if (!parentSpanContext || !api.trace.isSpanContextValid(parentSpanContext))',
      'if (!parentSpanContext || !(parentSpan instanceof SpanImpl || api.trace.isSpanContextValid(parentSpanContext)))',
    ],
    [
      'const attrsData2 = cleanAttributes(Object.assign(attributes, samplingResult.attributes), this._spanLimits);',
      'const attrsData2 = samplingResult.attributes === undefined && this._spanLimits.attributeValueLengthLimit === Infinity && countWithin(attributes, this._spanLimits.attributeCountLimit) ? { attributes, droppedAttributesCount: 0 } : cleanAttributes(Object.assign(attributes, samplingResult.attributes), this._spanLimits);',
    ],
    [
      'const NO_ATTR_LIMITS = {',
      'function countWithin(attributes, limit) {\n\tlet count = 0;\n\tfor (const key in attributes) if (++count > limit) return false;\n\treturn true;\n}\nclass SdkSpanContext {\n\tconstructor(traceId, spanId, traceFlags, traceState) {\n\t\tthis.traceId = traceId;\n\t\tthis.spanId = spanId;\n\t\tthis.traceFlags = traceFlags;\n\t\tthis.traceState = traceState;\n\t}\n}\nconst NO_ATTR_LIMITS = {',
    ],
    // A class, not an object literal: V8 pretenures the literal's site once spans waiting in the batch
    // processor make its objects look long-lived, and every span context then lands in the old
    // generation and drags its young id strings there with it.
    [
      'const spanContext = {\n\t\t\ttraceId,\n\t\t\tspanId,\n\t\t\ttraceFlags,\n\t\t\ttraceState\n\t\t};',
      'const spanContext = new SdkSpanContext(traceId, spanId, traceFlags, traceState);',
    ],
  ],
);

// @opentelemetry/instrumentation-undici parses every header of every outgoing request into a Map to read
// the user agent (SDK clients send a dozen headers), and records each request's duration with a fresh
// attribute object that the metrics SDK hashes again. Here the user agent is found by a scan of undici's
// header array (the parse stays for the string form of older undici), and the duration's attributes are
// one frozen object per series, hashed once (see frozenAttributeHashes).
const leanUndiciClient = editUpstream(
  'lean-undici-client',
  /@opentelemetry[\\/]instrumentation-undici[\\/]dist[\\/]undici\.mjs$/,
  [
    [
      'var UndiciInstrumentation = class extends InstrumentationBase {',
      `function userAgentOf(instrumentation, request) {
	const headers = request.headers;
	if (!Array.isArray(headers)) return instrumentation.parseRequestHeaders(request).get("user-agent");
	let found;
	for (let i = 0; i < headers.length; i += 2) {
		const key = headers[i];
		if (typeof key === "string" && key.length === 10 && key.toLowerCase() === "user-agent") found = headers[i + 1];
	}
	return found;
}
const DURATION_SERIES_KEYS = [ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_REQUEST_METHOD, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_SCHEME, ATTR_ERROR_TYPE, ATTR_NETWORK_PROTOCOL_VERSION];
const durationSeries = new Map();
function durationSeriesAttributes(attributes) {
	let id = "";
	for (const key of DURATION_SERIES_KEYS) id += key in attributes ? \`\${typeof attributes[key]}:\${attributes[key]}\\u0001\` : "\\u0002";
	let series = durationSeries.get(id);
	if (series === undefined) {
		series = {};
		for (const key of DURATION_SERIES_KEYS) if (key in attributes) series[key] = attributes[key];
		if (durationSeries.size >= 2000) durationSeries.clear();
		durationSeries.set(id, Object.freeze(series));
	}
	return series;
}
var UndiciInstrumentation = class extends InstrumentationBase {`,
    ],
    [
      'const userAgentValues = this.parseRequestHeaders(request).get("user-agent");',
      'const userAgentValues = userAgentOf(this, request);',
    ],
    [
      `const metricsAttributes = {};
		[
			ATTR_HTTP_RESPONSE_STATUS_CODE,
			ATTR_HTTP_REQUEST_METHOD,
			ATTR_SERVER_ADDRESS,
			ATTR_SERVER_PORT,
			ATTR_URL_SCHEME,
			ATTR_ERROR_TYPE,
			ATTR_NETWORK_PROTOCOL_VERSION
		].forEach((key) => {
			if (key in attributes) metricsAttributes[key] = attributes[key];
		});`,
      'const metricsAttributes = durationSeriesAttributes(attributes);',
    ],
  ],
);

await build({
  entryPoints: {
    index: join(root, 'src/index.ts'),
    'load-bundle': join(root, 'src/load-bundle.ts'),
    cli: join(root, 'src/cli.ts'),
  },
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  external: EXTERNAL,
  plugins: [
    preferEsmBuilds,
    requireHookWithModuleList,
    cheapAttributeChecks,
    frozenAttributeHashes,
    leanStartSpan,
    spanTimesWithoutSites,
    spanPartsWithoutSites,
    leanUndiciClient,
  ],
  // ESM builds of bundled packages use import.meta.url (createRequire); give them the bundle's own URL.
  define: { PRESET_VERSION: JSON.stringify(version), 'import.meta.url': 'bundleUrl' },
  banner: { js: "const bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // External: no sourceMappingURL comment for Node to look up at every start.
  sourcemap: 'external',
  legalComments: 'none',
  logLevel: 'warning',
});
