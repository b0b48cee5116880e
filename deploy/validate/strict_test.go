package validate

import (
	"strings"
	"testing"
)

// TestStrictDecoderRejects proves the decoder used on every manifest is strict: each of these
// documents must be refused with a message naming the problem.
func TestStrictDecoderRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, doc, want string
	}{
		{"unknown field", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replica: 2
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i:1}]}}
`, `unknown field "spec.replica"`},
		{"misspelt security field", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: c
          image: i:1
          securityContext: {readOnlyRootFileSystem: true}
`, "readOnlyRootFileSystem"},
		{"port as a string", `
apiVersion: v1
kind: Pod
metadata: {name: x}
spec:
  containers: [{name: c, image: i:1, ports: [{containerPort: "8080"}]}]
`, "containerPort"},
		{"duplicate key", `
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
data: {a: "1"}
data: {b: "2"}
`, "data"},
		{"unknown kind", `
apiVersion: example.com/v1
kind: Widget
metadata: {name: x}
`, "no typed decoder"},
		{"ServiceMonitor typo", `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  endpoints: [{port: admin, intervall: 30s}]
`, "intervall"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeStrict(tc.name, []byte(tc.doc))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.doc)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not mention %q: %v", tc.want, err)
			}
		})
	}
}

// TestHelmPassThroughTyposFail: values passed through to the pod spec (securityContext, resources, ...)
// are not covered by the chart's schema, but the strict decoding of the rendering catches their typos.
func TestHelmPassThroughTyposFail(t *testing.T) {
	t.Parallel()
	out, err := helmTemplate(t, "--set", "securityContext.readOnlyRootFileSystem=true")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeStrict("typo", out); err == nil || !strings.Contains(err.Error(), "readOnlyRootFileSystem") {
		t.Errorf("a misspelt securityContext field was not caught: %v", err)
	}
}
