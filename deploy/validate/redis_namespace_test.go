package validate

import (
	"strings"
	"testing"
)

// TestHelmRedisNamespace: redis.namespace renders SWITCHYARD_REDIS_NAMESPACE into the gateway's
// environment; unset, the variable is absent (the default keyspace, {sy}); a value the gateway
// would refuse (a character that ends the hash tag or splits a key, or more than 32) fails the render.
func TestHelmRedisNamespace(t *testing.T) {
	t.Parallel()
	objs := render(t)
	c := gatewayContainer(t, gatewayDeployment(t, objs))
	if v, _, ok := envValue(objs, c, "SWITCHYARD_REDIS_NAMESPACE"); ok {
		t.Errorf("default values set SWITCHYARD_REDIS_NAMESPACE=%q; want it unset", v)
	}
	objs = render(t, "--set", "redis.url=redis://r:6379", "--set", "redis.namespace=team-a_1")
	c = gatewayContainer(t, gatewayDeployment(t, objs))
	if v, ref, ok := envValue(objs, c, "SWITCHYARD_REDIS_NAMESPACE"); !ok || ref != nil || v != "team-a_1" {
		t.Errorf("SWITCHYARD_REDIS_NAMESPACE = %q (set %v, from a Secret %v); want team-a_1", v, ok, ref != nil)
	}
	for _, bad := range []string{"a}b", "a:b", strings.Repeat("n", 33)} {
		if _, err := helmTemplate(t, "--set", "redis.namespace="+bad); err == nil || !strings.Contains(err.Error(), "namespace") {
			t.Errorf("redis.namespace=%q: render error %v; want one naming namespace", bad, err)
		}
	}
}
