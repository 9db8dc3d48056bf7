package observe

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ServiceName is the service.name of OpsGraph's traces (OTEL_SERVICE_NAME
// overrides it).
const ServiceName = "opsgraph"

// TracerName names the instrumentation scope of OpsGraph's spans.
const TracerName = "github.com/opsgraph/opsgraph"

// TracingConfigured reports whether traces are to be exported: endpoint is
// set, or the standard OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is.
func TracingConfigured(endpoint string) bool {
	return endpoint != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// NewTracerProvider returns a tracer provider that batches spans to an
// OTLP/HTTP collector at endpoint (http://collector:4318: a URL without a
// path gets the standard /v1/traces), or, when endpoint is empty, where the
// standard OTEL_EXPORTER_OTLP_* variables say. It returns nil when tracing
// is not configured (see TracingConfigured). Sampling follows
// OTEL_TRACES_SAMPLER (default: every trace, or as the caller's traceparent
// says). Shut it down to flush the last spans.
func NewTracerProvider(ctx context.Context, endpoint string) (*sdktrace.TracerProvider, error) {
	if !TracingConfigured(endpoint) {
		return nil, nil
	}
	var opts []otlptracehttp.Option
	if endpoint != "" {
		u, err := OTLPTracesURL(endpoint)
		if err != nil {
			return nil, err
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(u))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", ServiceName)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	)
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// OTLPTracesURL returns the OTLP/HTTP traces URL of endpoint, an http(s)
// URL: one without a path gets /v1/traces, as OTEL_EXPORTER_OTLP_ENDPOINT
// does; one with a path is used as it is.
func OTLPTracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("OTLP endpoint %q: want an http:// or https:// URL such as http://collector:4318", endpoint)
	}
	if strings.Trim(u.Path, "/") == "" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}
