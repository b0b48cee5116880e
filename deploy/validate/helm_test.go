package validate

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	chartDir    = "charts/switchyard"
	releaseName = "sy"
	releaseNS   = "llm"
	// The chart needs Kubernetes >= 1.30 (lifecycle.preStop.sleep); a helm built with `go install`
	// assumes v1.20 when no cluster is asked, so every render names a version.
	kubeVersion = "1.34.0"
	fullname    = releaseName + "-switchyard"
)

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// helmEnv keeps helm's cache, config and data out of the user's home.
func helmEnv(t testing.TB) []string {
	dir := t.TempDir()
	return []string{
		"HELM_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"HELM_DATA_HOME=" + filepath.Join(dir, "data"),
	}
}

// helmTemplate renders the chart with extra helm arguments (-f, --set, ...).
func helmTemplate(t testing.TB, args ...string) ([]byte, error) {
	t.Helper()
	helm := findTool(t, "helm")
	base := []string{"template", releaseName, chartDir, "--namespace", releaseNS, "--kube-version", kubeVersion}
	return runTool(t, helmEnv(t), helm, append(base, args...)...)
}

// render renders and strictly decodes the chart, failing the test on any error.
func render(t testing.TB, args ...string) []object {
	t.Helper()
	out, err := helmTemplate(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return mustDecode(t, "helm template "+strings.Join(args, " "), out)
}

// valuesFile writes a values file for a single test.
func valuesFile(t testing.TB, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func ciValuesFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(repoPath(t, chartDir, "ci", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CI values files under %s/ci: %v", chartDir, err)
	}
	return files
}

func TestHelmLint(t *testing.T) {
	t.Parallel()
	helm := findTool(t, "helm")
	args := [][]string{{"lint", "--strict", chartDir, "--kube-version", kubeVersion}}
	for _, f := range ciValuesFiles(t) {
		args = append(args, []string{"lint", "--strict", chartDir, "--kube-version", kubeVersion, "-f", f})
	}
	for _, a := range args {
		out, err := runTool(t, helmEnv(t), helm, a...)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if !strings.Contains(string(out), "0 chart(s) failed") {
			t.Errorf("helm %s:\n%s", strings.Join(a, " "), out)
		}
	}
}

// TestHelmCIValuesRender renders every file under ci/ and applies the checks every rendering must pass.
func TestHelmCIValuesRender(t *testing.T) {
	t.Parallel()
	for _, f := range ciValuesFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			objs := render(t, "-f", f)
			checkCommon(t, objs)
		})
	}
}

// checkCommon holds the assertions every rendering of the chart must satisfy.
func checkCommon(t *testing.T, objs []object) {
	t.Helper()
	d := gatewayDeployment(t, objs)
	checkGateway(t, objs, d)

	ann := d.Spec.Template.Annotations
	for _, k := range []string{"checksum/config", "checksum/secret"} {
		if !sha256Hex.MatchString(ann[k]) {
			t.Errorf("pod annotation %s = %q, want a sha256", k, ann[k])
		}
	}
	for _, o := range objs {
		if o.Namespace != releaseNS {
			t.Errorf("%s: namespace %q, want the release namespace %q", o, o.Namespace, releaseNS)
		}
	}

	sa := one[corev1.ServiceAccount](t, objs)
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("ServiceAccount %s: automountServiceAccountToken must be false", sa.Name)
	}
	if d.Spec.Template.Spec.ServiceAccountName != sa.Name {
		t.Errorf("gateway runs as ServiceAccount %q, chart created %q", d.Spec.Template.Spec.ServiceAccountName, sa.Name)
	}

	svc := byName[corev1.Service](objs, fullname)
	if svc == nil {
		t.Fatalf("Service %s not rendered", fullname)
	}
	ports := map[string]corev1.ServicePort{}
	for _, p := range svc.Spec.Ports {
		ports[p.Name] = p
	}
	if p := ports["http"]; p.Port != clientPort || p.TargetPort != intstr.FromString("http") {
		t.Errorf("Service port http = %+v, want %d -> http", p, clientPort)
	}
	if p := ports["admin"]; p.Port != adminPort || p.TargetPort != intstr.FromString("admin") {
		t.Errorf("Service port admin = %+v, want %d -> admin", p, adminPort)
	}

	// The admin listener never goes through an Ingress.
	for _, ing := range ofKind[networkingv1.Ingress](objs) {
		for _, r := range ing.Spec.Rules {
			for _, p := range r.HTTP.Paths {
				sp := servicePortFor(svc, p.Backend.Service.Port)
				if p.Backend.Service.Name == svc.Name && (sp == nil || sp.Name != "http") {
					t.Errorf("Ingress %s routes %s to port %+v; only the http port may be exposed", ing.Name, p.Path, p.Backend.Service.Port)
				}
			}
		}
		if ing.Spec.DefaultBackend != nil {
			t.Errorf("Ingress %s must not have a default backend", ing.Name)
		}
	}

	// HPA and spec.replicas never both.
	hpas := ofKind[autoscalingv2.HorizontalPodAutoscaler](objs)
	if len(hpas) > 0 && d.Spec.Replicas != nil {
		t.Errorf("Deployment sets replicas=%d while an HPA manages it", *d.Spec.Replicas)
	}
	if len(hpas) == 0 && d.Spec.Replicas == nil {
		t.Errorf("Deployment has no replicas and no HPA")
	}

	// A PDB exactly when more than one pod is planned.
	planned := int32(1)
	if d.Spec.Replicas != nil {
		planned = *d.Spec.Replicas
	}
	for _, h := range hpas {
		if h.Spec.MinReplicas != nil {
			planned = *h.Spec.MinReplicas
		}
	}
	pdbs := ofKind[policyv1.PodDisruptionBudget](objs)
	if len(pdbs) > 1 {
		t.Errorf("want at most one PodDisruptionBudget, got %d", len(pdbs))
	}
	if planned <= 1 && len(pdbs) != 0 {
		t.Errorf("%d pod planned: a PodDisruptionBudget would block node drains, got %d", planned, len(pdbs))
	}

	// More than one pod needs a shared Redis.
	c := gatewayContainer(t, d)
	maxPods := planned
	for _, h := range hpas {
		maxPods = h.Spec.MaxReplicas
	}
	url, fromSecret, ok := envValue(objs, c, "SWITCHYARD_REDIS_URL")
	if maxPods > 1 && !ok {
		t.Errorf("%d pods possible but SWITCHYARD_REDIS_URL is not set", maxPods)
	}
	if ok && fromSecret == nil && !strings.HasPrefix(url, "redis://") && !strings.HasPrefix(url, "rediss://") {
		t.Errorf("SWITCHYARD_REDIS_URL = %q is not a redis URL", url)
	}

	for _, sm := range ofKind[monitoringv1.ServiceMonitor](objs) {
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "admin" || sm.Spec.Endpoints[0].Path != "/metrics" {
			t.Errorf("ServiceMonitor %s endpoints = %+v, want port admin path /metrics", sm.Name, sm.Spec.Endpoints)
		}
	}

	// Accounts, keys and the Redis URL live in Secrets, never in ConfigMaps.
	for _, cm := range ofKind[corev1.ConfigMap](objs) {
		for k, v := range cm.Data {
			if strings.Contains(k, "ACCOUNTS") && strings.Contains(v, "api_key") || k == "SWITCHYARD_API_KEYS" || k == "SWITCHYARD_ADMIN_KEY" {
				t.Errorf("ConfigMap %s holds credentials in %s", cm.Name, k)
			}
			if k == "SWITCHYARD_REDIS_URL" && strings.Contains(v, "@") {
				t.Errorf("ConfigMap %s holds a Redis URL with credentials", cm.Name)
			}
		}
	}
	if sec := byName[corev1.Secret](objs, fullname); sec != nil {
		if raw, ok := sec.Data["accounts.yaml"]; ok {
			if _, err := parsePool(raw); err != nil {
				t.Errorf("Secret %s accounts.yaml: %v", sec.Name, err)
			}
		}
	}
}

func TestHelmTemplateDefaults(t *testing.T) {
	t.Parallel()
	objs := render(t)
	checkCommon(t, objs)
	checkReferences(t, objs)

	d := gatewayDeployment(t, objs)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("default replicas = %v, want 1", d.Spec.Replicas)
	}
	for kind, n := range map[string]int{
		"HPA":            len(ofKind[autoscalingv2.HorizontalPodAutoscaler](objs)),
		"PDB":            len(ofKind[policyv1.PodDisruptionBudget](objs)),
		"Ingress":        len(ofKind[networkingv1.Ingress](objs)),
		"ServiceMonitor": len(ofKind[monitoringv1.ServiceMonitor](objs)),
	} {
		if n != 0 {
			t.Errorf("defaults render %d %s, want none", n, kind)
		}
	}
	if len(ofKind[appsv1.Deployment](objs)) != 1 {
		t.Errorf("defaults render the built-in Redis; it must be off by default")
	}
	// Single replica, embedded store: no Redis URL at all.
	if _, _, ok := envValue(objs, gatewayContainer(t, d), "SWITCHYARD_REDIS_URL"); ok {
		t.Errorf("defaults set SWITCHYARD_REDIS_URL; the default is the embedded store")
	}
	if byName[corev1.Secret](objs, fullname) == nil {
		t.Errorf("defaults: the chart's own Secret (account pool) is missing")
	}
}

// TestHelmTemplateHA renders ci/ha-values.yaml: HPA with 3..12 pods, Ingress, ServiceMonitor, external
// Redis and every credential from existing Secrets.
func TestHelmTemplateHA(t *testing.T) {
	t.Parallel()
	objs := render(t, "-f", repoPath(t, chartDir, "ci", "ha-values.yaml"))
	external := []string{"switchyard-accounts", "switchyard-client-keys", "switchyard-admin", "switchyard-redis", "switchyard-upstream-credentials",
		"switchyard-secrets-key"}
	checkReferences(t, objs, external...)

	d := gatewayDeployment(t, objs)
	if d.Spec.Replicas != nil {
		t.Errorf("HPA enabled: Deployment must not set replicas (got %d)", *d.Spec.Replicas)
	}
	h := one[autoscalingv2.HorizontalPodAutoscaler](t, objs)
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas != 3 || h.Spec.MaxReplicas != 12 {
		t.Errorf("HPA min/max = %v/%d, want 3/12", h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	one[policyv1.PodDisruptionBudget](t, objs)

	if n := len(ofKind[corev1.Secret](objs)); n != 0 {
		t.Errorf("every credential comes from an existing Secret, yet %d Secret(s) rendered", n)
	}
	c := gatewayContainer(t, d)
	for env, secret := range map[string]string{"SWITCHYARD_REDIS_URL": "switchyard-redis", "SWITCHYARD_ADMIN_KEY": "switchyard-admin",
		"SWITCHYARD_SECRETS_KEY": "switchyard-secrets-key", "SWITCHYARD_SECRETS_KEY_PREVIOUS": "switchyard-secrets-key"} {
		_, ref, ok := envValue(objs, c, env)
		if !ok || ref == nil || ref.Name != secret {
			t.Errorf("%s must come from Secret %s, got %+v", env, secret, ref)
		}
	}
	var projected []string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					projected = append(projected, s.Secret.Name+"/"+s.Secret.Items[0].Key+"->"+s.Secret.Items[0].Path)
				}
			}
		}
	}
	slices.Sort(projected)
	if want := []string{"switchyard-accounts/pool.yaml->accounts.yaml", "switchyard-client-keys/keys->api-keys"}; !slices.Equal(projected, want) {
		t.Errorf("mounted Secrets = %v, want %v", projected, want)
	}

	ing := one[networkingv1.Ingress](t, objs)
	for _, k := range []string{"nginx.ingress.kubernetes.io/proxy-buffering", "nginx.ingress.kubernetes.io/proxy-read-timeout"} {
		if ing.Annotations[k] == "" {
			t.Errorf("Ingress: SSE annotation %s missing from the CI values", k)
		}
	}
	if len(ing.Spec.TLS) != 1 {
		t.Errorf("Ingress: TLS block not rendered")
	}
	sm := one[monitoringv1.ServiceMonitor](t, objs)
	if sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor: extra labels not applied: %v", sm.Labels)
	}
	if len(d.Spec.Template.Spec.TopologySpreadConstraints) != 2 {
		t.Fatalf("topologySpreadConstraints not rendered")
	}
	for _, tsc := range d.Spec.Template.Spec.TopologySpreadConstraints {
		if tsc.LabelSelector == nil || tsc.LabelSelector.MatchLabels["app.kubernetes.io/instance"] != releaseName {
			t.Errorf("topology spread constraint %s: labelSelector not defaulted to the pod's selector labels", tsc.TopologyKey)
		}
	}
	if _, _, ok := envValue(objs, c, "SWITCHYARD_ROUTES_FILE"); !ok {
		t.Errorf("routes given but SWITCHYARD_ROUTES_FILE not set")
	}
	routes := byName[corev1.ConfigMap](objs, fullname+"-routes")
	if routes == nil {
		t.Fatalf("routes ConfigMap missing")
	}
	if r, err := parseRoutes([]byte(routes.Data["routes.yaml"])); err != nil || r["fast"] != "gemini/gemini-2.5-flash" {
		t.Errorf("routes.yaml = %q (%v)", routes.Data["routes.yaml"], err)
	}
}

// TestHelmTemplateBuiltinRedis renders ci/builtin-redis-values.yaml: two replicas on the chart's own
// single-node Redis, inline credentials.
func TestHelmTemplateBuiltinRedis(t *testing.T) {
	t.Parallel()
	objs := render(t, "-f", repoPath(t, chartDir, "ci", "builtin-redis-values.yaml"))
	checkReferences(t, objs)

	redis := byName[appsv1.Deployment](objs, fullname+"-redis")
	if redis == nil || byName[corev1.Service](objs, fullname+"-redis") == nil {
		t.Fatalf("built-in Redis Deployment/Service not rendered")
	}
	checkPodHardening(t, "built-in Redis", &redis.Spec.Template.Spec)
	args := strings.Join(redis.Spec.Template.Spec.Containers[0].Args, " ")
	if !strings.Contains(args, `--save  --appendonly no`) {
		t.Errorf("built-in Redis args %q: want persistence off (--save \"\" --appendonly no)", args)
	}
	d := gatewayDeployment(t, objs)
	url, _, _ := envValue(objs, gatewayContainer(t, d), "SWITCHYARD_REDIS_URL")
	if url != "redis://:$(BUILTIN_REDIS_PASSWORD)@"+fullname+"-redis:6379" {
		t.Errorf("SWITCHYARD_REDIS_URL = %q, want the built-in Redis Service with its generated password", url)
	}
	checkBuiltinRedisAuth(t, objs, redis, d)
	sec := byName[corev1.Secret](objs, fullname)
	if sec == nil {
		t.Fatalf("inline credentials but no Secret rendered")
	}
	pool, err := parsePool(sec.Data["accounts.yaml"])
	if err != nil || len(pool.Accounts) != 3 {
		t.Errorf("Secret accounts.yaml: %d accounts, %v", len(pool.Accounts), err)
	}
	if got := string(sec.Data["api-keys"]); got != "demo-key\ndemo-key-2\n" {
		t.Errorf("Secret api-keys = %q", got)
	}
	if got := string(sec.Data["admin-key"]); got != "demo-admin" {
		t.Errorf("Secret admin-key = %q", got)
	}
	one[policyv1.PodDisruptionBudget](t, objs)
}

// TestHelmPDBAndReplicas checks when the PDB appears and when spec.replicas is left to the HPA.
func TestHelmPDBAndReplicas(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		set      []string
		replicas int32 // 0: must be absent
		pdb      bool
	}{
		{"one replica", []string{"replicaCount=1"}, 1, false},
		{"two replicas", []string{"replicaCount=2", "redis.url=redis://r:6379"}, 2, true},
		{"pdb disabled", []string{"replicaCount=3", "redis.url=redis://r:6379", "podDisruptionBudget.enabled=false"}, 3, false},
		{"hpa min 1", []string{"autoscaling.enabled=true", "autoscaling.minReplicas=1", "autoscaling.maxReplicas=4", "redis.url=redis://r:6379"}, 0, false},
		{"hpa min 2", []string{"autoscaling.enabled=true", "autoscaling.minReplicas=2", "redis.url=redis://r:6379"}, 0, true},
		{"minAvailable", []string{"replicaCount=3", "redis.url=redis://r:6379", "podDisruptionBudget.minAvailable=2", "podDisruptionBudget.maxUnavailable=null"}, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var args []string
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			objs := render(t, args...)
			checkCommon(t, objs)
			checkReferences(t, objs)
			d := gatewayDeployment(t, objs)
			switch {
			case tc.replicas == 0 && d.Spec.Replicas != nil:
				t.Errorf("replicas = %d, want none (HPA)", *d.Spec.Replicas)
			case tc.replicas != 0 && (d.Spec.Replicas == nil || *d.Spec.Replicas != tc.replicas):
				t.Errorf("replicas = %v, want %d", d.Spec.Replicas, tc.replicas)
			}
			if got := len(ofKind[policyv1.PodDisruptionBudget](objs)) == 1; got != tc.pdb {
				t.Errorf("PDB rendered = %v, want %v", got, tc.pdb)
			}
		})
	}
}

// TestHelmChecksumFollowsConfig: a settings change changes checksum/config (pods roll), not checksum/secret.
func TestHelmChecksumFollowsConfig(t *testing.T) {
	t.Parallel()
	a := gatewayDeployment(t, render(t)).Spec.Template.Annotations
	b := gatewayDeployment(t, render(t, "--set", "config.logLevel=debug")).Spec.Template.Annotations
	c := gatewayDeployment(t, render(t, "--set", "adminKey.value=rotated")).Spec.Template.Annotations
	if a["checksum/config"] == b["checksum/config"] {
		t.Errorf("checksum/config did not change with config.logLevel")
	}
	if a["checksum/secret"] != b["checksum/secret"] {
		t.Errorf("checksum/secret changed with a non-secret setting")
	}
	if a["checksum/secret"] == c["checksum/secret"] {
		t.Errorf("checksum/secret did not change with adminKey.value")
	}
}

// TestHelmRejectsBadValues: the schema and the chart's own checks refuse bad values with a message
// naming the field.
func TestHelmRejectsBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		values string
		want   []string
	}{
		{"replicaCount as a word", `replicaCount: "three"`, []string{"replicaCount", "want integer"}},
		{"unknown top-level key", "replicas: 3\n", []string{"additional properties", "'replicas'"}},
		{"unknown nested key", "autoscaling:\n  enable: true\n", []string{"autoscaling", "'enable'"}},
		{"bad enum", "config:\n  schedulingMode: Fastest\n", []string{"schedulingMode"}},
		{"bad duration", "config:\n  stickyTTL: one hour\n", []string{"stickyTTL"}},
		{"misspelt account field", "accounts:\n  pool:\n    - {id: a, provider: openai, apikey: k}\n", []string{"apikey"}},
		{"bad provider", "accounts:\n  pool:\n    - {id: a, provider: mistral, api_key: k}\n", []string{"provider"}},
		{"replicas without Redis", "replicaCount: 3\n", []string{"shared Redis", "redis.url"}},
		{"HPA without Redis", "autoscaling:\n  enabled: true\n", []string{"shared Redis"}},
		{"two Redis choices", "redis:\n  url: redis://r:6379\n  builtin:\n    enabled: true\n", []string{"choose one"}},
		{"both PDB bounds", "replicaCount: 2\nredis: {url: 'redis://r:6379'}\npodDisruptionBudget: {minAvailable: 1, maxUnavailable: 1}\n", []string{"podDisruptionBudget"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := helmTemplate(t, "-f", valuesFile(t, tc.values))
			if err == nil {
				t.Fatalf("helm template accepted %q", tc.values)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestHelmNotes: NOTES.txt tells how to reach the API, the admin port and the metrics. (helm template
// does not render NOTES.txt, and helm install needs a cluster, so this reads the template.)
func TestHelmNotes(t *testing.T) {
	t.Parallel()
	notes := string(readRepoFile(t, chartDir, "templates", "NOTES.txt"))
	for _, w := range []string{"port-forward", "/metrics", "/admin", "not exposed through the Ingress", "apiKeys"} {
		if !strings.Contains(notes, w) {
			t.Errorf("NOTES.txt does not mention %q", w)
		}
	}
}

// TestHelmAcceptsEveryAccountKind: the schema takes every account the gateway
// takes: codeassist accounts (OAuth without token_url, an optional project)
// and per-account capability overrides.
func TestHelmAcceptsEveryAccountKind(t *testing.T) {
	t.Parallel()
	values := `accounts:
  pool:
    - {id: ca-1, provider: codeassist, project: my-proj-123, oauth: {client_id: cid, client_secret: cs, refresh_token: "${RT}"}}
    - {id: oa-1, provider: openai, api_key: k, capabilities: {reasoning: true, sampling: false}}
`
	if _, err := helmTemplate(t, "-f", valuesFile(t, values)); err != nil {
		t.Fatalf("helm template refused a codeassist account: %v", err)
	}
}
