package telemetry_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/switchyard-gw/switchyard/internal/telemetry"
	"github.com/switchyard-gw/switchyard/internal/telemetry/telemetrytest"
)

// clearOTEL unsets every variable Setup looks at.
func clearOTEL(t *testing.T) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_SDK_DISABLED",
		"OTEL_TRACES_EXPORTER", "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER"} {
		t.Setenv(k, "")
	}
}

func TestNoEndpointIsNoop(t *testing.T) {
	clearOTEL(t)
	tel, err := telemetry.Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if tel.Enabled() {
		t.Fatal("tracing enabled without an endpoint")
	}
	base := http.DefaultTransport
	if tel.Transport(base) != base || len(tel.Middleware(nil)) != 0 {
		t.Error("a disabled setup must leave the request path untouched")
	}
	_, span := tel.Tracer().Start(context.Background(), "x")
	if span.IsRecording() {
		t.Error("no-op provider records")
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestDisabledBySDKSwitch(t *testing.T) {
	clearOTEL(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	for _, kv := range [][2]string{{"OTEL_SDK_DISABLED", "true"}, {"OTEL_TRACES_EXPORTER", "none"}} {
		t.Run(kv[0], func(t *testing.T) {
			t.Setenv(kv[0], kv[1])
			tel, err := telemetry.Setup(context.Background(), "test")
			if err != nil || tel.Enabled() {
				t.Fatalf("enabled=%v err=%v; want disabled", tel != nil && tel.Enabled(), err)
			}
		})
	}
}

func TestBadProtocol(t *testing.T) {
	clearOTEL(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	_, err := telemetry.Setup(context.Background(), "test")
	if err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_PROTOCOL") {
		t.Fatalf("err = %v; want one naming OTEL_EXPORTER_OTLP_PROTOCOL", err)
	}
}

func TestExportFromEnv(t *testing.T) {
	for _, tc := range []struct {
		proto string
		recv  func(testing.TB) *telemetrytest.Receiver
	}{
		{"", telemetrytest.NewHTTPReceiver},
		{"http/protobuf", telemetrytest.NewHTTPReceiver},
		{"grpc", telemetrytest.NewGRPCReceiver},
	} {
		t.Run("protocol="+tc.proto, func(t *testing.T) {
			clearOTEL(t)
			r := tc.recv(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.Endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", tc.proto)
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
			tel, err := telemetry.Setup(context.Background(), "1.2.3")
			if err != nil {
				t.Fatal(err)
			}
			_, span := tel.Tracer().Start(context.Background(), "chat gpt-4o-2024-08-06")
			// A client-controlled attribute of 1 MiB is cut at the limit.
			span.SetAttributes(attribute.String("url.path", strings.Repeat("a", 1<<20)))
			span.End()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			spans := r.Spans()
			if len(spans) != 1 || spans[0].Name != "chat gpt-4o-2024-08-06" {
				t.Fatalf("received %d spans: %+v", len(spans), spans)
			}
			if got := len(spans[0].Attr("url.path")); got != telemetry.MaxAttributeLength {
				t.Errorf("url.path exported with %d bytes, want %d", got, telemetry.MaxAttributeLength)
			}
			res := spans[0].Resource
			if res["service.name"] != "switchyard" || res["service.version"] != "1.2.3" ||
				res["deployment.environment.name"] != "test" || res["telemetry.sdk.language"] != "go" {
				t.Errorf("resource = %v", res)
			}
		})
	}
}

func TestServiceNameAndSamplerFromEnv(t *testing.T) {
	clearOTEL(t)
	r := telemetrytest.NewHTTPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", r.Endpoint+"/v1/traces")
	t.Setenv("OTEL_SERVICE_NAME", "gw-eu")
	tel, err := telemetry.Setup(context.Background(), "v")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer().Start(context.Background(), "a")
	span.End()
	_ = tel.Shutdown(context.Background())
	if s := r.Spans(); len(s) != 1 || s[0].Resource["service.name"] != "gw-eu" {
		t.Fatalf("spans %+v; want one from service gw-eu", s)
	}

	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	tel, err = telemetry.Setup(context.Background(), "v")
	if err != nil {
		t.Fatal(err)
	}
	_, span = tel.Tracer().Start(context.Background(), "b")
	if span.IsRecording() {
		t.Error("OTEL_TRACES_SAMPLER=always_off was not honoured")
	}
	span.End()
	_ = tel.Shutdown(context.Background())
}
