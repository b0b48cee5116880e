package validate

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// parseDockerfile parses the repository Dockerfile with BuildKit's own parser and returns its stages.
// BuildKit lint warnings (the subset that runs at parse time) fail the test.
func parseDockerfile(t *testing.T) []instructions.Stage {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readRepoFile(t, "Dockerfile")))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile parser warning: %s", w.Short)
	}
	var lint []string
	lr := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		lint = append(lint, fmt.Sprintf("line %d: %s: %s", line, rule, msg))
	}})
	stages, _, err := instructions.Parse(res.AST, lr)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	for _, l := range lint {
		t.Errorf("Dockerfile lint: %s", l)
	}
	if len(stages) == 0 {
		t.Fatal("Dockerfile has no stages")
	}
	return stages
}

func runs(s instructions.Stage) []string {
	var out []string
	for _, c := range s.Commands {
		if r, ok := c.(*instructions.RunCommand); ok {
			out = append(out, strings.Join(r.CmdLine, " "))
		}
	}
	return out
}

// mainGoVersion is the go directive of the gateway's go.mod (e.g. 1.26.8).
func mainGoVersion(t *testing.T) string {
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(readRepoFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	stages := parseDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(stages))
	}
	names := map[string]bool{}
	for _, s := range stages {
		if s.Name != "" {
			names[strings.ToLower(s.Name)] = true
		}
	}

	// Every FROM names an external image pinned to a version tag (or a digest), or an earlier stage.
	for _, s := range stages {
		base := s.BaseName
		if names[strings.ToLower(base)] {
			continue
		}
		if strings.Contains(base, "$") {
			t.Errorf("FROM %s: base image must be written out, not taken from an ARG", base)
			continue
		}
		ref := base
		if i := strings.Index(ref, "@"); i >= 0 {
			if !regexp.MustCompile(`@sha256:[a-f0-9]{64}$`).MatchString(ref) {
				t.Errorf("FROM %s: malformed digest", base)
			}
			continue
		}
		colon := strings.LastIndex(ref, ":")
		if colon < 0 || strings.Contains(ref[colon:], "/") {
			t.Errorf("FROM %s: no tag (an implicit latest)", base)
			continue
		}
		if tag := ref[colon+1:]; tag == "latest" || tag == "" {
			t.Errorf("FROM %s: pin a version, not %q", base, tag)
		}
	}

	build := stages[0]
	if want := "golang:" + mainGoVersion(t) + "-"; !strings.HasPrefix(build.BaseName, want) {
		t.Errorf("build stage FROM %s: want %s* (the go directive of go.mod)", build.BaseName, want)
	}

	// Build stage: modules downloaded in their own layer before the source is copied; static,
	// trimmed, version-stamped build of both binaries.
	var sawModCopy, sawDownload, sawSourceCopy bool
	for _, c := range build.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			src := c.SourcePaths
			switch {
			case slices.Equal(src, []string{"go.mod", "go.sum"}):
				sawModCopy = true
			case slices.Contains(src, "."):
				if !sawDownload {
					t.Errorf("COPY . runs before `go mod download`: every source edit would re-download modules")
				}
				sawSourceCopy = true
			}
		case *instructions.RunCommand:
			line := strings.Join(c.CmdLine, " ")
			if strings.Contains(line, "go mod download") {
				if !sawModCopy || sawSourceCopy {
					t.Errorf("`go mod download` must follow COPY go.mod go.sum and precede COPY .")
				}
				sawDownload = true
			}
		}
	}
	if !sawModCopy || !sawDownload || !sawSourceCopy {
		t.Errorf("build stage: want COPY go.mod go.sum, RUN go mod download, COPY . (got %v %v %v)", sawModCopy, sawDownload, sawSourceCopy)
	}
	var goBuild string
	for _, r := range runs(build) {
		if strings.Contains(r, "go build") {
			goBuild = r
		}
	}
	for _, w := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "./cmd/switchyard", "./cmd/fakeupstream"} {
		if !strings.Contains(goBuild, w) {
			t.Errorf("go build command %q lacks %q", goBuild, w)
		}
	}
	if !stageHasArg(build, "VERSION") {
		t.Errorf("build stage: ARG VERSION missing")
	}

	// Final stage: distroless nonroot, numeric non-root USER, binaries in /usr/local/bin, both ports,
	// exec-form ENTRYPOINT, OCI labels.
	final := stages[len(stages)-1]
	if final.BaseName != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("final stage FROM %s: want the distroless static nonroot image", final.BaseName)
	}
	var user string
	var entry *instructions.EntrypointCommand
	var exposed []string
	labels := map[string]string{}
	copied := false
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.EntrypointCommand:
			entry = c
		case *instructions.ExposeCommand:
			exposed = append(exposed, c.Ports...)
		case *instructions.LabelCommand:
			for _, kv := range c.Labels {
				labels[kv.Key] = strings.Trim(kv.Value, `"`) // unexpanded, quotes kept
			}
		case *instructions.CopyCommand:
			if c.From != "" && c.DestPath == "/usr/local/bin/" &&
				slices.Contains(c.SourcePaths, "/out/switchyard") && slices.Contains(c.SourcePaths, "/out/fakeupstream") {
				copied = true
			}
		case *instructions.RunCommand:
			t.Errorf("final stage has RUN %v: the distroless image has no shell", c.CmdLine)
		}
	}
	uid, gid, ok := strings.Cut(user, ":")
	u, errU := strconv.Atoi(uid)
	g, errG := strconv.Atoi(gid)
	if !ok || errU != nil || errG != nil || u == 0 || g == 0 {
		t.Errorf("final USER %q: want numeric non-root uid:gid (65532:65532)", user)
	}
	if entry == nil || entry.PrependShell || !slices.Equal(entry.CmdLine, []string{"/usr/local/bin/switchyard"}) {
		t.Errorf("ENTRYPOINT must be exec form [\"/usr/local/bin/switchyard\"], got %+v", entry)
	}
	slices.Sort(exposed)
	if !slices.Equal(exposed, []string{"8045", "8046"}) {
		t.Errorf("EXPOSE %v, want 8045 8046", exposed)
	}
	if !copied {
		t.Errorf("final stage must COPY --from the build stage both binaries into /usr/local/bin/")
	}
	for _, k := range []string{"org.opencontainers.image.title", "org.opencontainers.image.source", "org.opencontainers.image.version"} {
		if labels[k] == "" {
			t.Errorf("OCI label %s missing", k)
		}
	}
	if !stageHasArg(final, "VERSION") || labels["org.opencontainers.image.version"] != "${VERSION}" {
		t.Errorf("final stage: the version label must come from ARG VERSION (ARG present: %v, label %q)", stageHasArg(final, "VERSION"), labels["org.opencontainers.image.version"])
	}
}

func stageHasArg(s instructions.Stage, name string) bool {
	for _, c := range s.Commands {
		if a, ok := c.(*instructions.ArgCommand); ok {
			for _, kv := range a.Args {
				if kv.Key == name {
					return true
				}
			}
		}
	}
	return false
}

// TestDockerignore evaluates .dockerignore with the matcher the Docker CLI and BuildKit use: what the
// build needs is sent, the rest stays out of the context.
func TestDockerignore(t *testing.T) {
	t.Parallel()
	patterns, err := ignorefile.ReadAll(bytes.NewReader(readRepoFile(t, ".dockerignore")))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	for path, wantExcluded := range map[string]bool{
		"go.mod":                         false,
		"go.sum":                         false,
		"cmd/switchyard/main.go":         false,
		"cmd/fakeupstream/main.go":       false,
		"internal/schedule/lua/pick.lua": false,
		"internal/app/app.go":            false,
		".git/HEAD":                      true,
		"bin/helm":                       true,
		"charts/switchyard/Chart.yaml":   true,
		"deploy/validate/go.mod":         true,
		"docs/deploy.md":                 true,
		"internal/app/app_test.go":       true,
	} {
		excluded, err := pm.MatchesOrParentMatches(path)
		if err != nil {
			t.Fatal(err)
		}
		if excluded != wantExcluded {
			t.Errorf(".dockerignore: %s excluded = %v, want %v", path, excluded, wantExcluded)
		}
	}
}
