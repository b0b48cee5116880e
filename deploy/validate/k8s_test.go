package validate

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// kustomization is the subset of kustomize's Kustomization this repository uses. Decoding is strict,
// so a misspelt field (resource:, secretGenerators:) fails here even without the kustomize binary.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors,omitempty"`
		IncludeTemplates bool              `json:"includeTemplates,omitempty"`
	} `json:"labels,omitempty"`
	Resources []string `json:"resources,omitempty"`
	Patches   []struct {
		Path   string         `json:"path,omitempty"`
		Patch  string         `json:"patch,omitempty"`
		Target map[string]any `json:"target,omitempty"`
	} `json:"patches,omitempty"`
	SecretGenerator    []generator `json:"secretGenerator,omitempty"`
	ConfigMapGenerator []generator `json:"configMapGenerator,omitempty"`
	Images             []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
		Digest  string `json:"digest,omitempty"`
	} `json:"images,omitempty"`
}

type generator struct {
	Name     string   `json:"name"`
	Behavior string   `json:"behavior,omitempty"`
	Type     string   `json:"type,omitempty"`
	Files    []string `json:"files,omitempty"`
	Literals []string `json:"literals,omitempty"`
	Envs     []string `json:"envs,omitempty"`
	Options  struct {
		DisableNameSuffixHash bool              `json:"disableNameSuffixHash,omitempty"`
		Labels                map[string]string `json:"labels,omitempty"`
		Annotations           map[string]string `json:"annotations,omitempty"`
	} `json:"options,omitempty"`
}

// generatorFile is the path of a generator input ("key=path" or "path").
func generatorFile(entry string) string {
	if _, p, ok := strings.Cut(entry, "="); ok {
		return p
	}
	return entry
}

// kustomizeDirs are the kustomize roots that must build.
var kustomizeDirs = []string{"k8s/base", "k8s/overlays/demo"}

// readKustomizations finds every kustomization.yaml under k8s/, decodes it strictly and returns them by
// directory together with the set of generator input files (which are data, not manifests).
func readKustomizations(t *testing.T) (map[string]*kustomization, map[string]bool) {
	t.Helper()
	root := repoPath(t, "k8s")
	ks := map[string]*kustomization{}
	inputs := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "kustomization.yaml" {
			return err
		}
		var k kustomization
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := strictUnmarshal(data, &k); err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		dir := filepath.Dir(p)
		ks[dir] = &k
		for _, g := range slices.Concat(k.SecretGenerator, k.ConfigMapGenerator) {
			for _, f := range slices.Concat(g.Files, g.Envs) {
				inputs[filepath.Join(dir, generatorFile(f))] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range kustomizeDirs {
		if ks[repoPath(t, d)] == nil {
			t.Fatalf("%s/kustomization.yaml missing", d)
		}
	}
	return ks, inputs
}

// TestK8sKustomizationReferences needs no tool: every resource, patch and generator input a
// kustomization names exists, and resources that are directories are kustomize roots themselves.
func TestK8sKustomizationReferences(t *testing.T) {
	t.Parallel()
	ks, _ := readKustomizations(t)
	for dir, k := range ks {
		rel, _ := filepath.Rel(repoRoot(t), dir)
		if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
			t.Errorf("%s: apiVersion/kind = %s/%s", rel, k.APIVersion, k.Kind)
		}
		exists := func(what, p string) {
			full := filepath.Join(dir, p)
			fi, err := os.Stat(full)
			if err != nil {
				t.Errorf("%s: %s %s: %v", rel, what, p, err)
				return
			}
			if fi.IsDir() {
				if _, err := os.Stat(filepath.Join(full, "kustomization.yaml")); err != nil {
					t.Errorf("%s: %s %s is a directory without kustomization.yaml", rel, what, p)
				}
			}
		}
		if len(k.Resources) == 0 {
			t.Errorf("%s: no resources", rel)
		}
		for _, r := range k.Resources {
			exists("resource", r)
		}
		for _, p := range k.Patches {
			if p.Path != "" {
				exists("patch", p.Path)
			}
		}
		for _, g := range slices.Concat(k.SecretGenerator, k.ConfigMapGenerator) {
			for _, f := range slices.Concat(g.Files, g.Envs) {
				exists("generator "+g.Name+" input", generatorFile(f))
			}
			if g.Behavior != "" && !slices.Contains([]string{"create", "replace", "merge"}, g.Behavior) {
				t.Errorf("%s: generator %s: behavior %q", rel, g.Name, g.Behavior)
			}
		}
	}
}

// TestK8sFilesDecodeStrictly decodes every manifest and patch under k8s/ into its typed struct, and
// every account pool given to a secretGenerator with the pool's own rules.
func TestK8sFilesDecodeStrictly(t *testing.T) {
	t.Parallel()
	_, inputs := readKustomizations(t)
	n := 0
	err := filepath.WalkDir(repoPath(t, "k8s"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(repoRoot(t), p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case d.Name() == "kustomization.yaml":
		case inputs[p]:
			if d.Name() == "accounts.yaml" {
				if _, err := parsePool(data); err != nil {
					t.Errorf("%s: %v", rel, err)
				}
			}
		case strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml"):
			if _, err := decodeStrict(rel, data); err != nil {
				t.Errorf("%v", err)
			}
			n++
		default:
			t.Errorf("%s: not a manifest and not used by any generator", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no manifests found under k8s/")
	}
	checkDemoPool(t, "k8s/overlays/demo/secrets/accounts.yaml", readRepoFile(t, "k8s", "overlays", "demo", "secrets", "accounts.yaml"))
}

func kustomizeBuild(t *testing.T, dir string) []object {
	t.Helper()
	kz := findTool(t, "kustomize")
	out, err := runTool(t, nil, kz, "build", dir)
	if err != nil {
		t.Fatal(err)
	}
	return mustDecode(t, "kustomize build "+dir, out)
}

func TestK8sBaseBuild(t *testing.T) {
	t.Parallel()
	objs := kustomizeBuild(t, "k8s/base")
	checkReferences(t, objs)
	d := gatewayDeployment(t, objs)
	checkGateway(t, objs, d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("base replicas = %v, want 1 (embedded store)", d.Spec.Replicas)
	}
	if url, _, _ := envValue(objs, gatewayContainer(t, d), "SWITCHYARD_REDIS_URL"); url != "" {
		t.Errorf("base SWITCHYARD_REDIS_URL = %q, want empty (embedded store)", url)
	}
	sa := one[corev1.ServiceAccount](t, objs)
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("ServiceAccount: automountServiceAccountToken must be false")
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
			t.Errorf("image %q is not pinned to a tag", c.Image)
		}
	}
}

func TestK8sDemoOverlayBuild(t *testing.T) {
	t.Parallel()
	objs := kustomizeBuild(t, "k8s/overlays/demo")
	checkReferences(t, objs)
	d := gatewayDeployment(t, objs)
	checkGateway(t, objs, d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("demo replicas = %v, want 3", d.Spec.Replicas)
	}
	for _, o := range objs {
		if o.Kind != "Namespace" && o.Namespace != "switchyard-demo" {
			t.Errorf("%s: namespace %q, want switchyard-demo", o, o.Namespace)
		}
	}
	for _, dep := range ofKind[appsv1.Deployment](objs) {
		checkPodHardening(t, "Deployment "+dep.Name, &dep.Spec.Template.Spec)
	}

	c := gatewayContainer(t, d)
	want := map[string]string{
		"SWITCHYARD_REDIS_URL":        "redis://redis:6379",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318",
	}
	for k, v := range want {
		if got, _, _ := envValue(objs, c, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	servicePorts := map[string][]int32{"redis": {6379}, "jaeger": {16686, 4317, 4318}, "fakeupstream": {8090}}
	for name, ports := range servicePorts {
		s := byName[corev1.Service](objs, name)
		if s == nil {
			t.Errorf("Service %s missing", name)
			continue
		}
		var got []int32
		for _, p := range s.Spec.Ports {
			got = append(got, p.Port)
		}
		if !slices.Equal(got, ports) {
			t.Errorf("Service %s ports = %v, want %v", name, got, ports)
		}
	}
	fake := byName[appsv1.Deployment](objs, "fakeupstream")
	if fake == nil {
		t.Fatal("fakeupstream Deployment missing")
	}
	fc := fake.Spec.Template.Spec.Containers[0]
	if fc.Image != c.Image {
		t.Errorf("fakeupstream image %q differs from the gateway image %q", fc.Image, c.Image)
	}
	if !slices.Equal(fc.Command, []string{"/usr/local/bin/fakeupstream"}) {
		t.Errorf("fakeupstream command = %v", fc.Command)
	}
	if v, _, _ := envValue(objs, &fc, "FAKEUPSTREAM_ADDR"); v != "0.0.0.0:8090" {
		t.Errorf("FAKEUPSTREAM_ADDR = %q, want 0.0.0.0:8090", v)
	}
	jaeger := byName[appsv1.Deployment](objs, "jaeger")
	if jaeger == nil || !strings.HasPrefix(jaeger.Spec.Template.Spec.Containers[0].Image, "jaegertracing/jaeger:2.") {
		t.Errorf("Jaeger v2 all-in-one Deployment missing")
	}
	sec := byName[corev1.Secret](objs, "switchyard-secrets")
	if sec == nil {
		t.Fatal("Secret switchyard-secrets missing")
	}
	checkDemoPool(t, "demo Secret accounts.yaml", sec.Data["accounts.yaml"])
	if got := string(sec.Data["api-keys"]); got != "demo-key" {
		t.Errorf("demo api-keys = %q", got)
	}
}
