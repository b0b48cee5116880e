package validate

import (
	"encoding/base64"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// The flag that lets the gateway start with placeholder credentials, and the encryption key variable.
const (
	envAllowDemo  = "SWITCHYARD_ALLOW_DEMO_KEYS"
	envSecretsKey = "SWITCHYARD_SECRETS_KEY"
)

// placeholderExact and placeholderPrefix mirror the gateway's list (internal/config/secrets.go, and
// switchyard.isPlaceholder in the chart): the gateway refuses these values unless SWITCHYARD_ALLOW_DEMO_KEYS
// is true. The demo secrets key is the public one docker-compose.yml and the demo overlay ship.
var (
	placeholderExact = []string{"admin", "apikey", "api-key", "api_key", "changeit", "default", "demo", "example", "key",
		"pass", "password", "placeholder", "secret", "test", "todo", "token", "xxx", "your-api-key", "your-key"}
	placeholderPrefix = regexp.MustCompile(`^(change[-_]?me|replace[-_]?me|demo-key|demo-admin|<|\$\{)`)
	demoSecretsKey    = "c3dpdGNoeWFyZC1kZW1vLXNlY3JldHMta2V5LTAwMDE="
)

func isPlaceholder(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return slices.Contains(placeholderExact, v) || placeholderPrefix.MatchString(v) || v == strings.ToLower(demoSecretsKey)
}

// validSecretsKey: the standard base64 of 32 bytes, as the gateway requires.
func validSecretsKey(v string) bool {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	return err == nil && len(b) == 32
}

// TestComposePortsLoopback: every port docker-compose.yml publishes is bound to the loopback interface.
func TestComposePortsLoopback(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	n := 0
	for name, s := range p.Services {
		for _, pc := range s.Ports {
			n++
			if ip := net.ParseIP(pc.HostIP); ip == nil || !ip.IsLoopback() {
				t.Errorf("service %s publishes port %d on %q; bind it to 127.0.0.1 (\"127.0.0.1:%s:%d\")",
					name, pc.Target, pc.HostIP, pc.Published, pc.Target)
			}
		}
	}
	if n == 0 {
		t.Fatal("no published ports found; the loader changed?")
	}
}

// TestComposeDemoCredentials: the compose demo's credentials are placeholders, so the gateways must
// set the demo flag (and the file must say why); with a shared Redis they encrypt tokens with a valid key.
func TestComposeDemoCredentials(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	doc := string(readRepoFile(t, "docker-compose.yml"))
	for _, name := range gatewayServices {
		g := service(t, p, name)
		placeholders := false
		for _, k := range []string{"SWITCHYARD_API_KEYS", "SWITCHYARD_ADMIN_KEY", envSecretsKey} {
			for _, v := range strings.Split(env(g, k), ",") {
				placeholders = placeholders || isPlaceholder(v)
			}
		}
		if placeholders && env(g, envAllowDemo) != "true" {
			t.Errorf("%s: ships placeholder credentials without %s=true: the gateway would refuse to start", name, envAllowDemo)
		}
		if env(g, "SWITCHYARD_REDIS_URL") != "" && !validSecretsKey(env(g, envSecretsKey)) {
			t.Errorf("%s: uses Redis but %s is not the base64 of 32 bytes", name, envSecretsKey)
		}
	}
	if !strings.Contains(doc, "# Demo credentials:") || strings.Count(doc, envAllowDemo) < 2 {
		t.Errorf("docker-compose.yml must document why it sets %s (a comment next to the demo credentials)", envAllowDemo)
	}
}

// secretData returns a Secret's values by key.
func secretData(s *corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}

// TestK8sBaseShipsOnlyRefusedPlaceholders: the base's Secret holds placeholders the gateway refuses
// (so a forgotten one stops the rollout instead of guarding a cluster), the base never sets the demo
// flag, and the kustomization tells the operator what to replace.
func TestK8sBaseShipsOnlyRefusedPlaceholders(t *testing.T) {
	t.Parallel()
	objs := kustomizeBuild(t, "k8s/base")
	c := gatewayContainer(t, gatewayDeployment(t, objs))
	if v, _, ok := envValue(objs, c, envAllowDemo); ok && v != "false" {
		t.Errorf("k8s/base sets %s=%q; the base must never accept placeholders", envAllowDemo, v)
	}
	if _, ref, ok := envValue(objs, c, envSecretsKey); !ok || ref == nil || ref.Name != "switchyard-secrets" || ref.Key != "secrets-key" {
		t.Errorf("k8s/base: %s must come from Secret switchyard-secrets key secrets-key, got %+v", envSecretsKey, ref)
	}
	sec := byName[corev1.Secret](objs, "switchyard-secrets")
	if sec == nil {
		t.Fatal("Secret switchyard-secrets missing")
	}
	data := secretData(sec)
	for _, k := range []string{"api-keys", "admin-key", "secrets-key"} {
		lines := strings.Fields(data[k])
		if len(lines) == 0 {
			t.Errorf("Secret switchyard-secrets %s is empty", k)
		}
		for _, v := range lines {
			if !isPlaceholder(v) {
				t.Errorf("Secret switchyard-secrets %s ships a value the gateway would accept; ship a refused CHANGE-ME placeholder", k)
			}
		}
	}
	doc := string(readRepoFile(t, "k8s", "base", "kustomization.yaml"))
	for _, w := range []string{"CHANGE-ME", envAllowDemo, "secrets-key", "head -c 32 /dev/urandom | base64"} {
		if !strings.Contains(doc, w) {
			t.Errorf("k8s/base/kustomization.yaml does not explain the placeholders (missing %q)", w)
		}
	}
}

// TestK8sDemoOverlayDeclaresDemoKeys: the demo overlay ships public credentials and says so with the
// flag; its secrets key is a valid key, so the three replicas share encrypted tokens.
func TestK8sDemoOverlayDeclaresDemoKeys(t *testing.T) {
	t.Parallel()
	objs := kustomizeBuild(t, "k8s/overlays/demo")
	c := gatewayContainer(t, gatewayDeployment(t, objs))
	if v, _, _ := envValue(objs, c, envAllowDemo); v != "true" {
		t.Errorf("demo overlay ships demo credentials but %s = %q, want true", envAllowDemo, v)
	}
	sec := byName[corev1.Secret](objs, "switchyard-secrets")
	if sec == nil {
		t.Fatal("Secret switchyard-secrets missing")
	}
	if k := secretData(sec)["secrets-key"]; !validSecretsKey(k) {
		t.Errorf("demo overlay secrets-key is not the base64 of 32 bytes")
	}
	if _, ref, ok := envValue(objs, c, envSecretsKey); !ok || ref == nil || ref.Key != "secrets-key" {
		t.Errorf("demo overlay: %s must come from the Secret, got %+v", envSecretsKey, ref)
	}
	if doc := string(readRepoFile(t, "k8s", "overlays", "demo", "settings-patch.yaml")); !strings.Contains(doc, "# The demo Secret holds public placeholder") {
		t.Errorf("settings-patch.yaml must document why it sets %s", envAllowDemo)
	}
}

// TestHelmPlaceholdersNeedDemoFlag: the chart renders placeholder credentials only together with
// allowDemoKeys (which sets the gateway's flag), refuses them otherwise, and never sets the flag by default.
func TestHelmPlaceholdersNeedDemoFlag(t *testing.T) {
	t.Parallel()
	renders := map[string][]object{"defaults": render(t)}
	for _, f := range ciValuesFiles(t) {
		renders[f] = render(t, "-f", f)
	}
	for name, objs := range renders {
		c := gatewayContainer(t, gatewayDeployment(t, objs))
		flag, _, _ := envValue(objs, c, envAllowDemo)
		if name == "defaults" && flag != "" {
			t.Errorf("defaults set %s=%q", envAllowDemo, flag)
		}
		sec := byName[corev1.Secret](objs, fullname)
		if sec == nil {
			continue
		}
		data := secretData(sec)
		for _, k := range []string{"api-keys", "admin-key"} {
			for _, v := range strings.Fields(data[k]) {
				if isPlaceholder(v) && flag != "true" {
					t.Errorf("%s: Secret %s holds a placeholder but %s is not true: the gateway would refuse to start", name, k, envAllowDemo)
				}
			}
		}
	}
	for _, set := range [][]string{{"apiKeys.keys={demo-key}"}, {"adminKey.value=CHANGE-ME-admin-key"}, {"apiKeys.keys={real-key-7d1f,changeme}"}} {
		args := []string{}
		for _, s := range set {
			args = append(args, "--set", s)
		}
		_, err := helmTemplate(t, args...)
		if err == nil || !strings.Contains(err.Error(), "known placeholder") || !strings.Contains(err.Error(), "allowDemoKeys") {
			t.Errorf("helm template %v: err = %v; want a refusal naming allowDemoKeys", set, err)
		}
		if _, err := helmTemplate(t, append(args, "--set", "allowDemoKeys=true")...); err != nil {
			t.Errorf("helm template %v with allowDemoKeys=true: %v", set, err)
		}
	}
}

// TestHelmGeneratedSecrets: without secretsKey.existingSecret the chart generates the encryption key
// into <fullname>-generated (kept across upgrades with lookup); with one, nothing is generated.
func TestHelmGeneratedSecrets(t *testing.T) {
	t.Parallel()
	gen := fullname + "-generated"
	objs := render(t)
	checkReferences(t, objs)
	c := gatewayContainer(t, gatewayDeployment(t, objs))
	_, ref, ok := envValue(objs, c, envSecretsKey)
	if !ok || ref == nil || ref.Name != gen || ref.Key != "secrets-key" {
		t.Fatalf("%s must come from Secret %s key secrets-key, got %+v", envSecretsKey, gen, ref)
	}
	sec := byName[corev1.Secret](objs, gen)
	if sec == nil {
		t.Fatalf("Secret %s not rendered", gen)
	}
	if k := secretData(sec)["secrets-key"]; !validSecretsKey(k) || isPlaceholder(k) {
		t.Errorf("generated secrets-key is not a fresh base64 32-byte key")
	}
	if _, ok := secretData(sec)["redis-password"]; ok {
		t.Errorf("redis-password generated without the built-in Redis")
	}
	tpl := string(readRepoFile(t, chartDir, "templates", "secret-generated.yaml"))
	if !strings.Contains(tpl, `lookup "v1" "Secret" .Release.Namespace $name`) || !strings.Contains(tpl, "randAlphaNum 32") {
		t.Errorf("secret-generated.yaml must keep existing values (lookup) and generate new ones with randAlphaNum")
	}

	objs = render(t, "--set", "secretsKey.existingSecret=my-key")
	if byName[corev1.Secret](objs, gen) != nil {
		t.Errorf("Secret %s rendered although secretsKey.existingSecret is set", gen)
	}
	c = gatewayContainer(t, gatewayDeployment(t, objs))
	if _, ref, _ := envValue(objs, c, envSecretsKey); ref == nil || ref.Name != "my-key" || ref.Key != "secrets-key" {
		t.Errorf("%s from %+v, want Secret my-key key secrets-key", envSecretsKey, ref)
	}
	if _, err := helmTemplate(t, "--set", "secretsKey.previousExistingSecretKey=old"); err == nil || !strings.Contains(err.Error(), "secretsKey.existingSecret") {
		t.Errorf("previous keys without secretsKey.existingSecret: err = %v; want a refusal", err)
	}
}

// checkBuiltinRedisAuth: the built-in Redis requires the generated password, reads it from a mounted
// config file (not its command line), its probe authenticates, and the gateway's URL carries it.
func checkBuiltinRedisAuth(t *testing.T, objs []object, redis, gw *appsv1.Deployment) {
	t.Helper()
	gen := fullname + "-generated"
	sec := byName[corev1.Secret](objs, gen)
	if sec == nil {
		t.Fatalf("Secret %s (built-in Redis password) not rendered", gen)
	}
	data := secretData(sec)
	pw := data["redis-password"]
	if len(pw) < 32 || isPlaceholder(pw) {
		t.Errorf("generated Redis password too short or a placeholder")
	}
	if data["redis.conf"] != "requirepass "+pw+"\n" {
		t.Errorf("redis.conf in %s does not require the generated password", gen)
	}
	rc := redis.Spec.Template.Spec.Containers[0]
	args := strings.Join(rc.Args, " ")
	if strings.Contains(args, "protected-mode no") || strings.Contains(args, pw) || !strings.HasPrefix(args, "/etc/redis/auth/redis.conf ") {
		t.Errorf("built-in Redis args %q: want the mounted redis.conf first, no password and no --protected-mode no", args)
	}
	mounted := false
	for _, m := range rc.VolumeMounts {
		for _, v := range redis.Spec.Template.Spec.Volumes {
			if v.Name == m.Name && m.MountPath == "/etc/redis/auth" && v.Secret != nil && v.Secret.SecretName == gen {
				mounted = m.ReadOnly
			}
		}
	}
	if !mounted {
		t.Errorf("built-in Redis: %s must be mounted read-only at /etc/redis/auth", gen)
	}
	if _, ref, _ := envValue(objs, &rc, "REDISCLI_AUTH"); ref == nil || ref.Name != gen || ref.Key != "redis-password" {
		t.Errorf("built-in Redis: the redis-cli probe needs REDISCLI_AUTH from %s", gen)
	}
	c := gatewayContainer(t, gw)
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	pi, ui := slices.Index(names, "BUILTIN_REDIS_PASSWORD"), slices.Index(names, "SWITCHYARD_REDIS_URL")
	if pi < 0 || ui < 0 || pi > ui {
		t.Errorf("gateway env %v: BUILTIN_REDIS_PASSWORD must come before SWITCHYARD_REDIS_URL (for $(VAR) expansion)", names)
	}
	if _, ref, _ := envValue(objs, c, "BUILTIN_REDIS_PASSWORD"); ref == nil || ref.Name != gen || ref.Key != "redis-password" {
		t.Errorf("gateway: BUILTIN_REDIS_PASSWORD must come from %s key redis-password, got %+v", gen, ref)
	}
}
