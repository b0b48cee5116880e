package validate

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

var gatewayServices = []string{"gateway-1", "gateway-2", "gateway-3"}

// loadCompose loads docker-compose.yml with the loader docker compose v2 uses (interpolation, anchors,
// merge keys, schema validation).
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithOsEnv,
		cli.WithWorkingDirectory(root),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := opts.LoadProject(ctx)
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("compose service %s missing", name)
	}
	return s
}

func env(s types.ServiceConfig, k string) string {
	if v, ok := s.Environment[k]; ok && v != nil {
		return *v
	}
	return ""
}

func published(s types.ServiceConfig) map[uint32]string {
	out := map[uint32]string{}
	for _, p := range s.Ports {
		out[p.Target] = p.Published
	}
	return out
}

// pinnedImage: a tag that is not latest (or a digest).
var pinnedImage = regexp.MustCompile(`^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$`)

func checkPinned(t *testing.T, svc, image string) {
	t.Helper()
	m := pinnedImage.FindStringSubmatch(image)
	if m == nil || (m[1] == "" && m[2] == "") || m[1] == ":latest" {
		t.Errorf("service %s: image %q is not pinned to a version tag", svc, image)
	}
}

// checkHealthcheck: a healthcheck in exec form ("CMD", no shell) with sane timings.
func checkHealthcheck(t *testing.T, name string, s types.ServiceConfig, binary string) {
	t.Helper()
	hc := s.HealthCheck
	if hc == nil || hc.Disable || len(hc.Test) < 2 {
		t.Errorf("service %s: healthcheck missing", name)
		return
	}
	if hc.Test[0] != "CMD" {
		t.Errorf("service %s: healthcheck %v must use exec form CMD", name, hc.Test)
	}
	if binary != "" && hc.Test[1] != binary {
		t.Errorf("service %s: healthcheck runs %q, want %q (no shell or curl in the image)", name, hc.Test[1], binary)
	}
	if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
		t.Errorf("service %s: healthcheck needs interval, timeout and retries", name)
	}
}

func TestComposeProject(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	root := repoRoot(t)

	want := append([]string{"redis", "jaeger", "fakeupstream", "lb"}, gatewayServices...)
	got := p.ServiceNames()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("services = %v, want %v", got, want)
	}

	for name, s := range p.Services {
		if s.Build == nil {
			checkPinned(t, name, s.Image)
		}
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				if !v.ReadOnly {
					t.Errorf("service %s: bind mount %s must be read-only", name, v.Target)
				}
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("service %s: bind mount source: %v", name, err)
				}
			}
		}
	}

	// Redis: pinned 7.x alpine, no persistence, health-checked.
	redis := service(t, p, "redis")
	if !regexp.MustCompile(`^redis:7\.\d+(\.\d+)?-alpine$`).MatchString(redis.Image) {
		t.Errorf("redis image %q, want redis:7.x-alpine pinned", redis.Image)
	}
	if cmd := strings.Join(redis.Command, " "); !strings.Contains(cmd, "--save  --appendonly no") {
		t.Errorf("redis command %q: want --save \"\" --appendonly no", cmd)
	}
	checkHealthcheck(t, "redis", redis, "redis-cli")

	// Jaeger v2 all-in-one with UI and both OTLP ports published.
	jaeger := service(t, p, "jaeger")
	if !strings.HasPrefix(jaeger.Image, "jaegertracing/jaeger:2.") {
		t.Errorf("jaeger image %q, want jaegertracing/jaeger:2.x", jaeger.Image)
	}
	jp := published(jaeger)
	for _, port := range []uint32{16686, 4317, 4318} {
		if jp[port] != strconv.Itoa(int(port)) {
			t.Errorf("jaeger: port %d published as %q", port, jp[port])
		}
	}

	// The fake upstream: the same image, its own entrypoint, listening on all interfaces.
	fake := service(t, p, "fakeupstream")
	if !slices.Equal(fake.Entrypoint, []string{"/usr/local/bin/fakeupstream"}) {
		t.Errorf("fakeupstream entrypoint = %v", fake.Entrypoint)
	}
	if env(fake, "FAKEUPSTREAM_ADDR") != "0.0.0.0:8090" {
		t.Errorf("FAKEUPSTREAM_ADDR = %q, want 0.0.0.0:8090", env(fake, "FAKEUPSTREAM_ADDR"))
	}
	checkHealthcheck(t, "fakeupstream", fake, "/usr/local/bin/fakeupstream")

	// Three gateway replicas of one image sharing one Redis.
	var image, redisURL string
	for _, name := range gatewayServices {
		g := service(t, p, name)
		if g.Build == nil || g.Build.Context != root || filepath.Base(g.Build.Dockerfile) != "Dockerfile" {
			t.Errorf("%s: must build from the repository Dockerfile, got %+v", name, g.Build)
		}
		if image == "" {
			image, redisURL = g.Image, env(g, "SWITCHYARD_REDIS_URL")
		}
		if g.Image != image || g.Image != fake.Image {
			t.Errorf("%s: image %q differs from the others (%q, fakeupstream %q)", name, g.Image, image, fake.Image)
		}
		if u := env(g, "SWITCHYARD_REDIS_URL"); u != redisURL || u != "redis://redis:6379" {
			t.Errorf("%s: SWITCHYARD_REDIS_URL = %q, want redis://redis:6379 on every replica", name, u)
		}
		for k, v := range map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318",
			"OTEL_SERVICE_NAME":           "switchyard",
			"SWITCHYARD_API_KEYS":         "demo-key",
			"SWITCHYARD_ADMIN_KEY":        "demo-admin",
		} {
			if env(g, k) != v {
				t.Errorf("%s: %s = %q, want %q", name, k, env(g, k), v)
			}
		}
		accounts := env(g, "SWITCHYARD_ACCOUNTS_FILE")
		mounted := false
		for _, v := range g.Volumes {
			if v.Target == accounts {
				mounted = true
				checkDemoPool(t, v.Source, mustRead(t, v.Source))
			}
			if v.Target == env(g, "SWITCHYARD_ROUTES_FILE") {
				if _, err := parseRoutes(mustRead(t, v.Source)); err != nil {
					t.Errorf("%s: routes file %s: %v", name, v.Source, err)
				}
			}
		}
		if !mounted {
			t.Errorf("%s: SWITCHYARD_ACCOUNTS_FILE=%q is not a mounted file", name, accounts)
		}
		for _, dep := range []string{"redis", "fakeupstream"} {
			if d, ok := g.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s: depends_on %s must wait for service_healthy", name, dep)
			}
		}
		checkHealthcheck(t, name, g, "/usr/local/bin/switchyard")
		if !g.ReadOnly || !slices.Contains(g.CapDrop, "ALL") {
			t.Errorf("%s: want read_only root filesystem and cap_drop ALL", name)
		}
		if g.StopGracePeriod == nil || time.Duration(*g.StopGracePeriod) <= 30*time.Second {
			t.Errorf("%s: stop_grace_period must exceed SWITCHYARD_SHUTDOWN_GRACE (30s)", name)
		}
	}
	if len(published(service(t, p, "gateway-2"))) != 0 || len(published(service(t, p, "gateway-3"))) != 0 {
		t.Errorf("gateway-2/3 publish ports; clients go through the load balancer")
	}
	if hp := published(service(t, p, "gateway-1")); hp[adminPort] == "" {
		t.Errorf("gateway-1 should publish the admin port %d for the demo", adminPort)
	}
	for _, pc := range service(t, p, "gateway-1").Ports {
		if pc.Target == adminPort && pc.HostIP != "127.0.0.1" {
			t.Errorf("gateway-1 admin port must bind to 127.0.0.1, got %q", pc.HostIP)
		}
	}

	// The load balancer publishes the client port and proxies to the three replicas, tuned for SSE.
	lb := service(t, p, "lb")
	checkPinned(t, "lb", lb.Image)
	if published(lb)[clientPort] != strconv.Itoa(clientPort) {
		t.Errorf("lb must publish %d, ports: %+v", clientPort, lb.Ports)
	}
	for _, g := range gatewayServices {
		if d, ok := lb.DependsOn[g]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("lb: depends_on %s must wait for service_healthy", g)
		}
	}
	checkHealthcheck(t, "lb", lb, "")
	conf := ""
	for _, v := range lb.Volumes {
		if strings.HasSuffix(v.Target, "nginx.conf") {
			conf = string(mustRead(t, v.Source))
		}
	}
	if conf == "" {
		t.Fatal("lb: nginx.conf is not mounted")
	}
	for _, g := range gatewayServices {
		if !strings.Contains(conf, "server "+g+":8045") {
			t.Errorf("nginx.conf: upstream %s:8045 missing", g)
		}
	}
	for _, directive := range []string{"proxy_buffering off;", "gzip off;", "proxy_http_version 1.1;", "listen 8045;"} {
		if !strings.Contains(conf, directive) {
			t.Errorf("nginx.conf: %q missing", directive)
		}
	}
	for _, d := range []string{"proxy_read_timeout", "proxy_send_timeout"} {
		m := regexp.MustCompile(d + `\s+(\d+)s;`).FindStringSubmatch(conf)
		if m == nil {
			t.Errorf("nginx.conf: %s missing", d)
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n < 3600 {
			t.Errorf("nginx.conf: %s %ss, want >= 3600s for long streams", d, m[1])
		}
	}
}

// TestComposeRejectsTypos makes sure the loader used above really validates: a misspelt key fails.
func TestComposeRejectsTypos(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yml")
	bad := "services:\n  a:\n    image: redis:7.4.6-alpine\n    environmnet:\n      X: y\n"
	if err := os.WriteFile(f, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{f}, cli.WithWorkingDirectory(dir), cli.WithName("typo"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := opts.LoadProject(context.Background()); err == nil || !strings.Contains(err.Error(), "environmnet") {
		t.Errorf("loader accepted a misspelt key (err = %v)", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
