package validate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// toolsHint is printed whenever a tool the checks need is missing.
const toolsHint = "run scripts/deploy-tools.sh from the repository root (it installs helm and kustomize into ./bin)"

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// repoRoot is the repository root: two levels above this module (deploy/validate).
func repoRoot(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			rootErr = err
			return
		}
		gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil {
			rootErr = fmt.Errorf("repository root not found above deploy/validate: %w", err)
			return
		}
		if !bytes.Contains(gomod, []byte("module github.com/switchyard-gw/switchyard\n")) {
			rootErr = fmt.Errorf("%s/go.mod is not the switchyard module", dir)
			return
		}
		rootDir = dir
	})
	if rootErr != nil {
		t.Fatal(rootErr)
	}
	return rootDir
}

// repoPath joins path elements onto the repository root.
func repoPath(t testing.TB, elem ...string) string {
	return filepath.Join(append([]string{repoRoot(t)}, elem...)...)
}

// readRepoFile reads a file of the repository.
func readRepoFile(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoPath(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// findTool looks for a tool in <repo>/bin first (the pinned version scripts/deploy-tools.sh installs),
// then on PATH. A missing tool fails the test in CI (env CI set) and skips it elsewhere.
func findTool(t testing.TB, name string) string {
	t.Helper()
	local := repoPath(t, "bin", name)
	if fi, err := os.Stat(local); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return local
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found in %s or on PATH: %s", name, filepath.Dir(local), toolsHint)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// runTool runs a tool with a deadline and returns stdout; stderr is returned inside the error.
func runTool(t testing.TB, env []string, name string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.Bytes(), nil
}

// object is one decoded Kubernetes manifest.
type object struct {
	Source     string // file or template it came from, for messages
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	Obj        any // typed pointer, e.g. *appsv1.Deployment
}

func (o object) String() string {
	return fmt.Sprintf("%s %s/%s (%s)", o.APIVersion, o.Kind, o.Name, o.Source)
}

// newTyped returns an empty typed object for every apiVersion/kind the deployment artefacts may contain.
// Anything else is an error: a new kind must be added here, with its type, before it ships.
func newTyped(apiVersion, kind string) (any, bool) {
	switch apiVersion + " " + kind {
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1 Secret":
		return &corev1.Secret{}, true
	case "v1 Service":
		return &corev1.Service{}, true
	case "v1 ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "v1 Namespace":
		return &corev1.Namespace{}, true
	case "v1 Pod":
		return &corev1.Pod{}, true
	case "v1 PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}, true
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, true
	case "apps/v1 StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "networking.k8s.io/v1 Ingress":
		return &networkingv1.Ingress{}, true
	case "networking.k8s.io/v1 NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	case "monitoring.coreos.com/v1 ServiceMonitor":
		return &monitoringv1.ServiceMonitor{}, true
	}
	return nil, false
}

// splitYAML splits a multi-document YAML stream; documents holding only comments are dropped.
func splitYAML(data []byte) ([][]byte, error) {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if hasContent(doc) {
			docs = append(docs, doc)
		}
	}
}

func hasContent(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		l := strings.TrimSpace(line)
		if l != "" && l != "---" && !strings.HasPrefix(l, "#") {
			return true
		}
	}
	return false
}

// decodeStrict decodes every document of a YAML stream into its typed Kubernetes struct. Unknown
// fields, duplicate keys and type errors are reported, as are kinds without a known type.
func decodeStrict(source string, data []byte) ([]object, error) {
	docs, err := splitYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	var out []object
	var errs []error
	for i, doc := range docs {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			errs = append(errs, fmt.Errorf("%s: document %d: %w", source, i+1, err))
			continue
		}
		where := fmt.Sprintf("%s: document %d (%s %s/%s)", source, i+1, head.APIVersion, head.Kind, head.Metadata.Name)
		if head.APIVersion == "" || head.Kind == "" {
			errs = append(errs, fmt.Errorf("%s: apiVersion and kind are required", where))
			continue
		}
		obj, ok := newTyped(head.APIVersion, head.Kind)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no typed decoder for this apiVersion/kind (add it to newTyped)", where))
			continue
		}
		if err := strictUnmarshal(doc, obj); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		out = append(out, object{
			Source: source, APIVersion: head.APIVersion, Kind: head.Kind,
			Name: head.Metadata.Name, Namespace: head.Metadata.Namespace, Obj: obj,
		})
	}
	return out, errors.Join(errs...)
}

// strictUnmarshal decodes one YAML document the way the API server's strict field validation does:
// duplicate keys, unknown fields and type errors fail, and field names match case-sensitively.
// (sigs.k8s.io/yaml.UnmarshalStrict alone goes through encoding/json, which matches field names
// case-insensitively and so accepts typos such as readOnlyRootFileSystem.)
func strictUnmarshal(doc []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(j, v)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}

// mustDecode is decodeStrict that fails the test on any error.
func mustDecode(t testing.TB, source string, data []byte) []object {
	t.Helper()
	objs, err := decodeStrict(source, data)
	if err != nil {
		t.Fatalf("strict decoding failed:\n%v", err)
	}
	if len(objs) == 0 {
		t.Fatalf("%s: no Kubernetes objects", source)
	}
	return objs
}

// ofKind returns the typed objects of one kind, in order.
func ofKind[T any](objs []object) []*T {
	var out []*T
	for _, o := range objs {
		if v, ok := o.Obj.(*T); ok {
			out = append(out, v)
		}
	}
	return out
}

// byName returns the object of type T with the given name, or nil.
func byName[T any](objs []object, name string) *T {
	for _, o := range objs {
		if v, ok := o.Obj.(*T); ok && o.Name == name {
			return v
		}
	}
	return nil
}

// one returns the single object of type T, failing the test unless there is exactly one.
func one[T any](t testing.TB, objs []object) *T {
	t.Helper()
	all := ofKind[T](objs)
	if len(all) != 1 {
		var zero T
		t.Fatalf("want exactly one %T, got %d", zero, len(all))
	}
	return all[0]
}
