// SPDX-License-Identifier: Apache-2.0
// The hand-written ESM set-up the OpenTelemetry docs describe: register the import-in-the-middle loader
// hook, then start a NodeSDK with every auto-instrumentation, OTLP http/protobuf traces and periodic OTLP
// metrics. Endpoint and service name come from OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME.
import { register } from 'node:module';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const sdk = new NodeSDK({
  instrumentations: [getNodeAutoInstrumentations()],
  traceExporter: new OTLPTraceExporter(),
  metricReaders: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() })],
});
sdk.start();

// Without this, spans and metrics still buffered when the app's event loop drains would be dropped, and the
// cost of the final export would be missing from the measurement.
process.once('beforeExit', () => {
  sdk.shutdown().catch(() => {});
});
