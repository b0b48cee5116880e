//go:build tools

// Package deps pins module dependencies during bootstrap.
package deps

import (
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/anthropics/anthropic-sdk-go"
	_ "github.com/gin-gonic/gin"
	_ "github.com/kelseyhightower/envconfig"
	_ "github.com/openai/openai-go/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/redis/go-redis/extra/redisotel/v9"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/tidwall/gjson"
	_ "github.com/tidwall/sjson"
	_ "go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	_ "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	_ "go.opentelemetry.io/otel"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/sync/singleflight"
	_ "google.golang.org/genai"
	_ "sigs.k8s.io/yaml"
)
