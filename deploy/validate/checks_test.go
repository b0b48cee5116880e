package validate

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	clientPort = 8045
	adminPort  = 8046
	nonRootID  = 65532
)

// gatewayContainer returns the gateway container of a Deployment (the one running the gateway image
// without a command override).
func gatewayContainer(t testing.TB, d *appsv1.Deployment) *corev1.Container {
	t.Helper()
	for i := range d.Spec.Template.Spec.Containers {
		c := &d.Spec.Template.Spec.Containers[i]
		if c.Name == "gateway" {
			return c
		}
	}
	t.Fatalf("Deployment %s has no container named gateway", d.Name)
	return nil
}

// isGateway tells the gateway Deployment apart from the others (Redis, Jaeger, fake upstream).
func isGateway(d *appsv1.Deployment) bool {
	return d.Spec.Template.Labels["app.kubernetes.io/component"] == "gateway"
}

func gatewayDeployment(t testing.TB, objs []object) *appsv1.Deployment {
	t.Helper()
	var found []*appsv1.Deployment
	for _, d := range ofKind[appsv1.Deployment](objs) {
		if isGateway(d) {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one gateway Deployment (pod label app.kubernetes.io/component=gateway), got %d", len(found))
	}
	return found[0]
}

// envValue resolves a container variable from env or from an envFrom ConfigMap in objs.
// ok is false when the variable is not set; fromSecret reports a secretKeyRef.
func envValue(objs []object, c *corev1.Container, name string) (value string, fromSecret *corev1.SecretKeySelector, ok bool) {
	for _, e := range c.Env {
		if e.Name != name {
			continue
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			return "", e.ValueFrom.SecretKeyRef, true
		}
		return e.Value, nil, true
	}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil {
			continue
		}
		if cm := byName[corev1.ConfigMap](objs, ef.ConfigMapRef.Name); cm != nil {
			if v, found := cm.Data[name]; found {
				return v, nil, true
			}
		}
	}
	return "", nil, false
}

// checkPodHardening asserts the pod and container security settings every workload here must have.
func checkPodHardening(t testing.TB, what string, spec *corev1.PodSpec) {
	t.Helper()
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken must be false", what)
	}
	psc := spec.SecurityContext
	if psc == nil {
		t.Fatalf("%s: pod securityContext missing", what)
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: pod securityContext.runAsNonRoot must be true", what)
	}
	if psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext.runAsUser must be a non-zero uid", what)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext.seccompProfile.type must be RuntimeDefault", what)
	}
	for _, c := range spec.Containers {
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("%s: container %s has no securityContext", what, c.Name)
			continue
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: container %s: allowPrivilegeEscalation must be false", what, c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: container %s: readOnlyRootFilesystem must be true", what, c.Name)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("%s: container %s: capabilities.drop must contain ALL", what, c.Name)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s: container %s must not be privileged", what, c.Name)
		}
		if c.Image == "" || strings.HasSuffix(c.Image, ":latest") {
			t.Errorf("%s: container %s: image %q must be set and not :latest", what, c.Name, c.Image)
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: container %s: memory request and limit must be set", what, c.Name)
		}
	}
}

func checkHTTPProbe(t testing.TB, what string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil {
		t.Errorf("%s probe missing", what)
		return
	}
	if p.HTTPGet == nil {
		t.Errorf("%s probe must be an httpGet", what)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s probe path = %q, want %q", what, p.HTTPGet.Path, path)
	}
	if p.HTTPGet.Port != intstr.FromString("http") && p.HTTPGet.Port != intstr.FromInt32(clientPort) {
		t.Errorf("%s probe port = %s, want the client port (http / %d)", what, p.HTTPGet.Port.String(), clientPort)
	}
}

// checkGateway asserts what every rendering of the gateway Deployment must satisfy: hardening, the
// distroless image's uid, probes on the client port, preStop sleep without a shell, a termination grace
// period longer than the shutdown grace plus the preStop sleep, both ports, and Secret mounts without
// subPath (so the account pool can be re-read in place).
func checkGateway(t testing.TB, objs []object, d *appsv1.Deployment) {
	t.Helper()
	spec := &d.Spec.Template.Spec
	checkPodHardening(t, "gateway Deployment "+d.Name, spec)
	psc := spec.SecurityContext
	for name, v := range map[string]*int64{"runAsUser": psc.RunAsUser, "runAsGroup": psc.RunAsGroup, "fsGroup": psc.FSGroup} {
		if v == nil || *v != nonRootID {
			t.Errorf("gateway pod securityContext.%s must be %d (the distroless nonroot user)", name, nonRootID)
		}
	}

	c := gatewayContainer(t, d)
	if len(c.Command) != 0 {
		t.Errorf("gateway container must use the image's entrypoint, got command %v", c.Command)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] != clientPort || ports["admin"] != adminPort {
		t.Errorf("gateway container ports = %v, want http:%d and admin:%d", ports, clientPort, adminPort)
	}
	checkHTTPProbe(t, "liveness", c.LivenessProbe, "/healthz")
	checkHTTPProbe(t, "readiness", c.ReadinessProbe, "/readyz")
	if c.StartupProbe != nil {
		checkHTTPProbe(t, "startup", c.StartupProbe, "/healthz")
	}

	var preStop int64
	switch {
	case c.Lifecycle == nil || c.Lifecycle.PreStop == nil:
		t.Errorf("gateway container: lifecycle.preStop missing")
	case c.Lifecycle.PreStop.Exec != nil:
		t.Errorf("gateway container: preStop exec cannot work in a distroless image (no shell, no sleep binary); use lifecycle.preStop.sleep")
	case c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds <= 0:
		t.Errorf("gateway container: preStop must be a sleep action with seconds > 0")
	default:
		preStop = c.Lifecycle.PreStop.Sleep.Seconds
	}

	grace := 30 * time.Second // contract default of SWITCHYARD_SHUTDOWN_GRACE
	if v, _, ok := envValue(objs, c, "SWITCHYARD_SHUTDOWN_GRACE"); ok {
		g, err := time.ParseDuration(v)
		if err != nil {
			t.Errorf("SWITCHYARD_SHUTDOWN_GRACE=%q: %v", v, err)
		}
		grace = g
	}
	tgps := spec.TerminationGracePeriodSeconds
	if tgps == nil {
		t.Errorf("gateway: terminationGracePeriodSeconds must be set")
	} else if time.Duration(*tgps)*time.Second <= grace+time.Duration(preStop)*time.Second {
		t.Errorf("gateway: terminationGracePeriodSeconds %d must exceed shutdown grace %s + preStop %ds", *tgps, grace, preStop)
	}

	for name, port := range map[string]int{"SWITCHYARD_LISTEN_ADDR": clientPort, "SWITCHYARD_ADMIN_ADDR": adminPort} {
		if v, _, ok := envValue(objs, c, name); ok && !strings.HasSuffix(v, fmt.Sprintf(":%d", port)) {
			t.Errorf("%s=%q does not listen on the container port %d", name, v, port)
		}
	}
	accounts, _, ok := envValue(objs, c, "SWITCHYARD_ACCOUNTS_FILE")
	if !ok || accounts == "" {
		t.Errorf("gateway: SWITCHYARD_ACCOUNTS_FILE must be set")
	}
	if _, _, ok := envValue(objs, c, "SWITCHYARD_API_KEYS"); ok {
		t.Errorf("gateway: client keys belong in a mounted Secret (SWITCHYARD_API_KEYS_FILE), not in SWITCHYARD_API_KEYS")
	}
	for _, m := range c.VolumeMounts {
		if m.SubPath != "" {
			t.Errorf("gateway: volume mount %s uses subPath; mounted Secrets/ConfigMaps would no longer be updated in place", m.Name)
		}
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(accounts, strings.TrimSuffix(m.MountPath, "/")+"/") {
			mounted = true
			if !m.ReadOnly {
				t.Errorf("gateway: the account pool mount %s must be readOnly", m.Name)
			}
		}
	}
	if accounts != "" && !mounted {
		t.Errorf("gateway: SWITCHYARD_ACCOUNTS_FILE=%s is not under any volume mount", accounts)
	}
}

// checkReferences asserts that every name an object refers to exists among objs, or is one of the
// external names (Secrets created outside the chart). It also matches selectors to pod labels and
// named ports to the ports they point at.
func checkReferences(t testing.TB, objs []object, external ...string) {
	t.Helper()
	have := func(kind, name string) bool {
		if slices.Contains(external, name) {
			return true
		}
		for _, o := range objs {
			if o.Kind == kind && o.Name == name {
				return true
			}
		}
		return false
	}
	deployments := ofKind[appsv1.Deployment](objs)
	for _, d := range deployments {
		spec := d.Spec.Template.Spec
		what := "Deployment " + d.Name
		sel, err := metaSelector(d.Spec.Selector.MatchLabels)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector %v does not match its pod labels %v", what, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
		}
		if spec.ServiceAccountName != "" && spec.ServiceAccountName != "default" && !have("ServiceAccount", spec.ServiceAccountName) {
			t.Errorf("%s: ServiceAccount %s not found", what, spec.ServiceAccountName)
		}
		for _, c := range spec.Containers {
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && !have("ConfigMap", ef.ConfigMapRef.Name) {
					t.Errorf("%s: envFrom ConfigMap %s not found", what, ef.ConfigMapRef.Name)
				}
				if ef.SecretRef != nil && !have("Secret", ef.SecretRef.Name) {
					t.Errorf("%s: envFrom Secret %s not found", what, ef.SecretRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					checkSecretKey(t, objs, external, what+" env "+e.Name, r.Name, r.Key)
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil && !have("ConfigMap", r.Name) {
					t.Errorf("%s: env %s: ConfigMap %s not found", what, e.Name, r.Name)
				}
			}
		}
		for _, v := range spec.Volumes {
			switch {
			case v.Secret != nil:
				for _, it := range v.Secret.Items {
					checkSecretKey(t, objs, external, what+" volume "+v.Name, v.Secret.SecretName, it.Key)
				}
				if len(v.Secret.Items) == 0 && !have("Secret", v.Secret.SecretName) {
					t.Errorf("%s: volume %s: Secret %s not found", what, v.Name, v.Secret.SecretName)
				}
			case v.PersistentVolumeClaim != nil:
				if !have("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName) {
					t.Errorf("%s: volume %s: PersistentVolumeClaim %s not found", what, v.Name, v.PersistentVolumeClaim.ClaimName)
				}
			case v.ConfigMap != nil:
				cm := byName[corev1.ConfigMap](objs, v.ConfigMap.Name)
				if cm == nil {
					t.Errorf("%s: volume %s: ConfigMap %s not found", what, v.Name, v.ConfigMap.Name)
				}
			case v.Projected != nil:
				for _, src := range v.Projected.Sources {
					if src.Secret != nil {
						for _, it := range src.Secret.Items {
							checkSecretKey(t, objs, external, what+" volume "+v.Name, src.Secret.Name, it.Key)
						}
					}
					if src.ConfigMap != nil && !have("ConfigMap", src.ConfigMap.Name) {
						t.Errorf("%s: volume %s: ConfigMap %s not found", what, v.Name, src.ConfigMap.Name)
					}
				}
			}
		}
		for _, c := range spec.Containers {
			for _, m := range c.VolumeMounts {
				if !slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
					t.Errorf("%s: container %s mounts unknown volume %s", what, c.Name, m.Name)
				}
			}
		}
	}

	// Services select pods of some Deployment, and their named target ports exist there.
	for _, s := range ofKind[corev1.Service](objs) {
		var target *appsv1.Deployment
		for _, d := range deployments {
			if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
				target = d
			}
		}
		if target == nil {
			t.Errorf("Service %s: selector %v matches no Deployment's pods", s.Name, s.Spec.Selector)
			continue
		}
		for _, p := range s.Spec.Ports {
			if p.TargetPort.Type == intstr.String && !containerHasPort(target, p.TargetPort.StrVal) {
				t.Errorf("Service %s: targetPort %s is not a named port of Deployment %s", s.Name, p.TargetPort.StrVal, target.Name)
			}
		}
	}

	for _, ing := range ofKind[networkingv1.Ingress](objs) {
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service == nil {
					t.Errorf("Ingress %s: path %s has no service backend", ing.Name, p.Path)
					continue
				}
				svc := byName[corev1.Service](objs, p.Backend.Service.Name)
				if svc == nil {
					t.Errorf("Ingress %s: Service %s not found", ing.Name, p.Backend.Service.Name)
					continue
				}
				if !serviceHasPort(svc, p.Backend.Service.Port) {
					t.Errorf("Ingress %s: Service %s has no port %+v", ing.Name, svc.Name, p.Backend.Service.Port)
				}
			}
		}
	}

	for _, h := range ofKind[autoscalingv2.HorizontalPodAutoscaler](objs) {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || byName[appsv1.Deployment](objs, ref.Name) == nil {
			t.Errorf("HPA %s: scaleTargetRef %+v does not name a Deployment here", h.Name, ref)
		}
	}

	for _, p := range ofKind[policyv1.PodDisruptionBudget](objs) {
		matched := false
		for _, d := range deployments {
			if p.Spec.Selector != nil && labels.SelectorFromSet(p.Spec.Selector.MatchLabels).Matches(labels.Set(d.Spec.Template.Labels)) {
				matched = true
			}
		}
		if !matched {
			t.Errorf("PDB %s: selector matches no Deployment's pods", p.Name)
		}
		if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
			t.Errorf("PDB %s: set exactly one of minAvailable and maxUnavailable", p.Name)
		}
	}

	for _, sm := range ofKind[monitoringv1.ServiceMonitor](objs) {
		var svc *corev1.Service
		for _, s := range ofKind[corev1.Service](objs) {
			if labels.SelectorFromSet(sm.Spec.Selector.MatchLabels).Matches(labels.Set(s.Labels)) {
				if svc != nil {
					t.Errorf("ServiceMonitor %s selects more than one Service (%s, %s)", sm.Name, svc.Name, s.Name)
				}
				svc = s
			}
		}
		if svc == nil {
			t.Errorf("ServiceMonitor %s: selector matches no Service", sm.Name)
			continue
		}
		for _, ep := range sm.Spec.Endpoints {
			if !serviceHasPort(svc, networkingv1.ServiceBackendPort{Name: ep.Port}) {
				t.Errorf("ServiceMonitor %s: Service %s has no port named %q", sm.Name, svc.Name, ep.Port)
			}
		}
	}
}

func metaSelector(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return nil, fmt.Errorf("empty selector")
	}
	return labels.SelectorFromSet(m), nil
}

func checkSecretKey(t testing.TB, objs []object, external []string, what, name, key string) {
	t.Helper()
	if slices.Contains(external, name) {
		return
	}
	s := byName[corev1.Secret](objs, name)
	if s == nil {
		t.Errorf("%s: Secret %s not found", what, name)
		return
	}
	_, inData := s.Data[key]
	_, inString := s.StringData[key]
	if !inData && !inString {
		t.Errorf("%s: Secret %s has no key %q", what, name, key)
	}
}

func containerHasPort(d *appsv1.Deployment, name string) bool {
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

func serviceHasPort(s *corev1.Service, bp networkingv1.ServiceBackendPort) bool {
	for _, p := range s.Spec.Ports {
		if (bp.Name != "" && p.Name == bp.Name) || (bp.Number != 0 && p.Port == bp.Number) {
			return true
		}
	}
	return false
}

// servicePortFor returns the Service port a backend reference resolves to.
func servicePortFor(s *corev1.Service, bp networkingv1.ServiceBackendPort) *corev1.ServicePort {
	for i, p := range s.Spec.Ports {
		if (bp.Name != "" && p.Name == bp.Name) || (bp.Number != 0 && p.Port == bp.Number) {
			return &s.Spec.Ports[i]
		}
	}
	return nil
}

// --- the account pool file (SWITCHYARD_ACCOUNTS_FILE), as the contract describes it ---

type poolFile struct {
	Accounts []poolAccount `json:"accounts"`
}

type poolAccount struct {
	ID       string     `json:"id"`
	Email    string     `json:"email"`
	Provider string     `json:"provider"`
	BaseURL  string     `json:"base_url"`
	APIKey   string     `json:"api_key"`
	Tier     string     `json:"tier"`
	Models   []string   `json:"models"`
	OAuth    *poolOAuth `json:"oauth"`
	Disabled bool       `json:"disabled"`
}

type poolOAuth struct {
	TokenURL     string `json:"token_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// parsePool decodes an account pool strictly and checks the rules the gateway enforces at load time.
func parsePool(data []byte) (*poolFile, error) {
	var p poolFile
	if err := strictUnmarshal(data, &p); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var errs []string
	for i, a := range p.Accounts {
		where := fmt.Sprintf("accounts[%d] (%s)", i, a.ID)
		if a.ID == "" {
			errs = append(errs, where+": id is required")
		}
		if seen[a.ID] {
			errs = append(errs, where+": duplicate id")
		}
		seen[a.ID] = true
		if !slices.Contains([]string{"anthropic", "openai", "gemini"}, a.Provider) {
			errs = append(errs, fmt.Sprintf("%s: provider %q is not anthropic, openai or gemini", where, a.Provider))
		}
		if a.Tier != "" && !slices.Contains([]string{"ultra", "pro", "free"}, a.Tier) {
			errs = append(errs, fmt.Sprintf("%s: tier %q is not ultra, pro or free", where, a.Tier))
		}
		if (a.APIKey == "") == (a.OAuth == nil) {
			errs = append(errs, where+": set exactly one of api_key and oauth")
		}
		if a.BaseURL != "" {
			if u, err := url.Parse(a.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Sprintf("%s: base_url %q is not an http(s) URL", where, a.BaseURL))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return &p, nil
}

// checkDemoPool asserts the demo pool shape shared by docker-compose and the k8s demo overlay: two
// accounts per provider, mixed tiers, every account served by the fake upstream with the base_url
// convention of its provider, and keys the fake accepts.
func checkDemoPool(t testing.TB, source string, data []byte) {
	t.Helper()
	p, err := parsePool(data)
	if err != nil {
		t.Fatalf("%s: %v", source, err)
	}
	perProvider := map[string]int{}
	tiers := map[string]bool{}
	for _, a := range p.Accounts {
		perProvider[a.Provider]++
		tiers[a.Tier] = true
		want := "http://fakeupstream:8090"
		if a.Provider == "openai" {
			want += "/v1"
		}
		if a.BaseURL != want {
			t.Errorf("%s: %s: base_url = %q, want %q", source, a.ID, a.BaseURL, want)
		}
		if a.APIKey == "" || strings.HasPrefix(a.APIKey, "bad-") {
			t.Errorf("%s: %s: api_key %q would be refused by the fake upstream", source, a.ID, a.APIKey)
		}
		if a.Email == "" {
			t.Errorf("%s: %s: email missing (it is what X-Account-Email shows)", source, a.ID)
		}
	}
	for _, prov := range []string{"anthropic", "openai", "gemini"} {
		if perProvider[prov] != 2 {
			t.Errorf("%s: %d %s accounts, want 2", source, perProvider[prov], prov)
		}
	}
	if len(tiers) < 2 {
		t.Errorf("%s: tiers %v are not mixed", source, tiers)
	}
}

// parseRoutes decodes a routes file: a flat map of pattern -> target.
func parseRoutes(data []byte) (map[string]string, error) {
	var r map[string]string
	if err := strictUnmarshal(data, &r); err != nil {
		return nil, err
	}
	for k, v := range r {
		if k == "" || v == "" {
			return nil, fmt.Errorf("empty pattern or target in %q: %q", k, v)
		}
	}
	return r, nil
}
