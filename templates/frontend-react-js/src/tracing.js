// Written by `cruddur-obs init`: traces the browser's page loads and its requests to the backend,
// and sends the spans to the OpenTelemetry Collector (REACT_APP_OTEL_COLLECTOR_URL), which adds
// the Honeycomb key. The key never reaches the browser: do not add it here.
// Imported first by src/index.js, so that fetch is wrapped before any component calls it.
import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZoneContextManager } from '@opentelemetry/context-zone';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { XMLHttpRequestInstrumentation } from '@opentelemetry/instrumentation-xml-http-request';

// create-react-app replaces process.env.REACT_APP_* when it builds the bundle.
const collectorUrl = (process.env.REACT_APP_OTEL_COLLECTOR_URL || '').replace(/\/+$/, '');
const backendUrl = (process.env.REACT_APP_BACKEND_URL || '').replace(/\/+$/, '');

// The backend's URL as a RegExp: a string here would have to equal each request's whole URL.
function urlPattern(url) {
  return new RegExp('^' + url.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&') + '(/|$)');
}

if (collectorUrl) {
  const provider = new WebTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'frontend-react-js',
    }),
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${collectorUrl}/v1/traces` })
      ),
    ],
  });
  provider.register({ contextManager: new ZoneContextManager() });

  // traceparent goes to the backend only: it is cross-origin, so it must be listed here, and
  // its CORS must allow the header.
  const propagateTraceHeaderCorsUrls = backendUrl ? [urlPattern(backendUrl)] : [];
  registerInstrumentations({
    instrumentations: [
      new DocumentLoadInstrumentation(),
      new FetchInstrumentation({ propagateTraceHeaderCorsUrls }),
      new XMLHttpRequestInstrumentation({ propagateTraceHeaderCorsUrls }),
    ],
  });
} else {
  console.warn('Tracing is off: REACT_APP_OTEL_COLLECTOR_URL is not set (see docker-compose).');
}
