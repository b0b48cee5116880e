package validate

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
)

// redisData is the built-in Redis's data volume.
func redisData(t *testing.T, d *appsv1.Deployment) corev1.Volume {
	t.Helper()
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == "data" {
			return v
		}
	}
	t.Fatalf("built-in Redis has no data volume")
	return corev1.Volume{}
}

// TestHelmBuiltinRedisPersistence renders the built-in Redis without and with redis.persistence: off, an
// emptyDir and no append-only file; on, an AOF (fsync every second) on a ReadWriteOnce claim of the
// size and class asked for, mounted at /data, and a Recreate rollout (one pod owns the claim).
func TestHelmBuiltinRedisPersistence(t *testing.T) {
	t.Parallel()
	builtin := repoPath(t, chartDir, "ci", "builtin-redis-values.yaml")
	claim := fullname + "-redis-data"

	off := render(t, "-f", builtin)
	checkReferences(t, off)
	redis := byName[appsv1.Deployment](off, fullname+"-redis")
	if redis == nil {
		t.Fatal("built-in Redis not rendered")
	}
	if n := len(ofKind[corev1.PersistentVolumeClaim](off)); n != 0 {
		t.Errorf("persistence off renders %d PersistentVolumeClaim(s)", n)
	}
	if v := redisData(t, redis); v.EmptyDir == nil {
		t.Errorf("persistence off: data volume %+v, want an emptyDir", v.VolumeSource)
	}
	if args := strings.Join(redis.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, "--appendonly no") {
		t.Errorf("persistence off: args %q, want --appendonly no", args)
	}

	on := render(t, "-f", builtin, "--set", "redis.persistence.enabled=true", "--set", "redis.persistence.size=5Gi",
		"--set", "redis.persistence.storageClass=fast-ssd")
	checkCommon(t, on)
	checkReferences(t, on)
	pvc := byName[corev1.PersistentVolumeClaim](on, claim)
	if pvc == nil {
		t.Fatalf("persistence on: PersistentVolumeClaim %s not rendered", claim)
	}
	if pvc.Namespace != releaseNS {
		t.Errorf("claim namespace %q", pvc.Namespace)
	}
	if got := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; got.Cmp(resource.MustParse("5Gi")) != 0 {
		t.Errorf("claim size %s, want 5Gi", got.String())
	}
	if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "fast-ssd" {
		t.Errorf("claim storageClassName %v, want fast-ssd", pvc.Spec.StorageClassName)
	}
	if len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != corev1.ReadWriteOnce {
		t.Errorf("claim access modes %v, want ReadWriteOnce", pvc.Spec.AccessModes)
	}
	redis = byName[appsv1.Deployment](on, fullname+"-redis")
	if v := redisData(t, redis); v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != claim {
		t.Errorf("persistence on: data volume %+v, want the claim %s", v.VolumeSource, claim)
	}
	c := redis.Spec.Template.Spec.Containers[0]
	args := strings.Join(c.Args, " ")
	for _, w := range []string{"--appendonly yes", "--appendfsync everysec", "--dir /data"} {
		if !strings.Contains(args, w) {
			t.Errorf("persistence on: args %q lack %q", args, w)
		}
	}
	if !strings.HasPrefix(args, "/etc/redis/auth/redis.conf ") {
		t.Errorf("persistence on: args %q must still start with the mounted config (the password)", args)
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		mounted = mounted || (m.Name == "data" && m.MountPath == "/data" && !m.ReadOnly)
	}
	if !mounted {
		t.Errorf("persistence on: the claim is not mounted writable at /data")
	}
	if redis.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("persistence on: strategy %q, want Recreate (a ReadWriteOnce claim has one pod)", redis.Spec.Strategy.Type)
	}

	// Default class: no storageClassName at all.
	pvc = byName[corev1.PersistentVolumeClaim](render(t, "-f", builtin, "--set", "redis.persistence.enabled=true"), claim)
	if pvc == nil || pvc.Spec.StorageClassName != nil {
		t.Errorf("persistence on without a class: claim %+v, want no storageClassName (cluster default)", pvc)
	}
	if got := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; got.Cmp(resource.MustParse("1Gi")) != 0 {
		t.Errorf("default claim size %s, want 1Gi", got.String())
	}
}

// TestHelmBuiltinRedisNetworkPolicy: with the built-in Redis, a NetworkPolicy lets only this release's
// gateway pods reach Redis pods, on TCP 6379; it can be turned off, and is absent without the built-in
// Redis.
func TestHelmBuiltinRedisNetworkPolicy(t *testing.T) {
	t.Parallel()
	builtin := repoPath(t, chartDir, "ci", "builtin-redis-values.yaml")
	objs := render(t, "-f", builtin)
	np := one[networkingv1.NetworkPolicy](t, objs)
	redis := byName[appsv1.Deployment](objs, fullname+"-redis")
	gw := gatewayDeployment(t, objs)
	sel, err := metaSelector(np.Spec.PodSelector.MatchLabels)
	if err != nil || len(np.Spec.PodSelector.MatchLabels) == 0 {
		t.Fatalf("NetworkPolicy podSelector %v: %v", np.Spec.PodSelector.MatchLabels, err)
	}
	if !sel.Matches(labels.Set(redis.Spec.Template.Labels)) || sel.Matches(labels.Set(gw.Spec.Template.Labels)) {
		t.Errorf("NetworkPolicy podSelector %v must select the Redis pods and not the gateway's", np.Spec.PodSelector.MatchLabels)
	}
	if len(np.Spec.PolicyTypes) != 1 || np.Spec.PolicyTypes[0] != networkingv1.PolicyTypeIngress {
		t.Errorf("policyTypes %v, want [Ingress]", np.Spec.PolicyTypes)
	}
	if len(np.Spec.Ingress) != 1 {
		t.Fatalf("ingress rules %d, want 1", len(np.Spec.Ingress))
	}
	rule := np.Spec.Ingress[0]
	if len(rule.From) != 1 || rule.From[0].PodSelector == nil || rule.From[0].NamespaceSelector != nil || rule.From[0].IPBlock != nil {
		t.Fatalf("ingress from %+v, want one podSelector in the release namespace", rule.From)
	}
	from, err := metaSelector(rule.From[0].PodSelector.MatchLabels)
	if err != nil || !from.Matches(labels.Set(gw.Spec.Template.Labels)) || from.Matches(labels.Set(redis.Spec.Template.Labels)) {
		t.Errorf("ingress from %v must match the gateway pods (%v) only", rule.From[0].PodSelector.MatchLabels, gw.Spec.Template.Labels)
	}
	if rule.From[0].PodSelector.MatchLabels["app.kubernetes.io/instance"] != releaseName {
		t.Errorf("ingress from %v must be limited to this release", rule.From[0].PodSelector.MatchLabels)
	}
	if len(rule.Ports) != 1 || rule.Ports[0].Port == nil || rule.Ports[0].Port.IntValue() != 6379 ||
		rule.Ports[0].Protocol == nil || *rule.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("ingress ports %+v, want TCP 6379 only", rule.Ports)
	}

	if n := len(ofKind[networkingv1.NetworkPolicy](render(t, "-f", builtin, "--set", "redis.networkPolicy.enabled=false"))); n != 0 {
		t.Errorf("redis.networkPolicy.enabled=false renders %d NetworkPolicy", n)
	}
	if n := len(ofKind[networkingv1.NetworkPolicy](render(t, "--set", "redis.url=redis://r:6379"))); n != 0 {
		t.Errorf("an external Redis renders %d NetworkPolicy (nothing of the chart's to protect)", n)
	}
}

// TestHelmPersistenceNeedsBuiltinRedis: persistence of an external Redis is not the chart's to set.
func TestHelmPersistenceNeedsBuiltinRedis(t *testing.T) {
	t.Parallel()
	for _, v := range []string{
		"redis:\n  url: redis://r:6379\n  persistence:\n    enabled: true\n",
		"redis:\n  persistence:\n    enabled: true\n",
	} {
		_, err := helmTemplate(t, "-f", valuesFile(t, v))
		if err == nil || !strings.Contains(err.Error(), "redis.persistence.enabled") {
			t.Errorf("values %q: err = %v; want a refusal naming redis.persistence.enabled", v, err)
		}
	}
	if _, err := helmTemplate(t, "-f", valuesFile(t, "redis:\n  builtin: {enabled: true}\n  persistence:\n    size: lots\n")); err == nil ||
		!strings.Contains(err.Error(), "size") {
		t.Errorf("persistence.size lots: err = %v; want the schema to refuse it", err)
	}
}
