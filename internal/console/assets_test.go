package console

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Static checks of the embedded page that a browser would only show as a
// blank screen or a Content-Security-Policy error.

func assetText(t *testing.T, name string) string {
	t.Helper()
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsFiles(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(assets, "assets/js/*.js")
	if err != nil || len(names) == 0 {
		t.Fatalf("no JavaScript embedded: %v", err)
	}
	for i, n := range names {
		names[i] = strings.TrimPrefix(n, "assets/")
	}
	return names
}

// TestNoInlineCode: the CSP forbids inline scripts, styles and event
// handler attributes; the page must not need them.
func TestNoInlineCode(t *testing.T) {
	html := assetText(t, "index.html")
	for _, tag := range regexp.MustCompile(`(?i)<script\b[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(tag, ` src="`) {
			t.Errorf("inline script: %s", tag)
		}
	}
	checks := map[string]*regexp.Regexp{
		"event handler attribute": regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`),
		"style attribute":         regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`),
		"style element":           regexp.MustCompile(`(?i)<style\b`),
		"javascript: URL":         regexp.MustCompile(`(?i)javascript:`),
	}
	for what, re := range checks {
		if m := re.FindString(html); m != "" {
			t.Errorf("index.html has an %s: %s", what, m)
		}
	}
	forbidden := map[string]*regexp.Regexp{
		"innerHTML/outerHTML (build elements from data instead)": regexp.MustCompile(`\.(inner|outer)HTML\b|insertAdjacentHTML`),
		"eval or new Function":                                  regexp.MustCompile(`\beval\(|new Function\(`),
		"a string handler for a timer":                          regexp.MustCompile(`set(Timeout|Interval)\(\s*['"` + "`" + `]`),
		"an inline style attribute":                             regexp.MustCompile(`setAttribute\(\s*['"]style['"]|\bstyle:\s`),
		"an event handler attribute":                            regexp.MustCompile(`setAttribute\(\s*['"]on[a-z]+['"]`),
		"localStorage (the key belongs in sessionStorage only)": regexp.MustCompile(`\blocalStorage\b`),
		"document.write":                                        regexp.MustCompile(`document\.write`),
	}
	for _, name := range jsFiles(t) {
		src := assetText(t, name)
		for what, re := range forbidden {
			if m := re.FindString(src); m != "" {
				t.Errorf("%s uses %s: %q", name, what, m)
			}
		}
	}
}

// TestNothingFromElsewhere: no CDN, font service or other origin; the page
// runs from the gateway alone.
func TestNothingFromElsewhere(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*['"]?(https?:)?//|fetch\(\s*['"` + "`" + `]https?:`)
	names := append(jsFiles(t), "index.html", "console.css")
	for _, name := range names {
		if m := external.FindString(assetText(t, name)); m != "" {
			t.Errorf("%s loads something from another origin: %q", name, m)
		}
	}
}

// TestModulesResolve: every import names an embedded module and only names
// it exports, and every module is reachable from main.js.
func TestModulesResolve(t *testing.T) {
	importRe := regexp.MustCompile(`(?s)import\s*\{([^}]*)\}\s*from\s*'([^']+)'`)
	exportRe := regexp.MustCompile(`export\s+(?:async\s+)?(?:function|const|class|let)\s+([A-Za-z_$][\w$]*)`)
	exports := map[string][]string{}
	for _, name := range jsFiles(t) {
		for _, m := range exportRe.FindAllStringSubmatch(assetText(t, name), -1) {
			exports[name] = append(exports[name], m[1])
		}
	}
	reached := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if reached[name] {
			return
		}
		reached[name] = true
		for _, m := range importRe.FindAllStringSubmatch(assetText(t, name), -1) {
			target := path.Join(path.Dir(name), m[2])
			if _, ok := exports[target]; !ok {
				t.Errorf("%s imports %s, which is not embedded", name, m[2])
				continue
			}
			for _, n := range strings.Split(m[1], ",") {
				n = strings.TrimSpace(strings.Split(strings.TrimSpace(n), " as ")[0])
				if n != "" && !slices.Contains(exports[target], n) {
					t.Errorf("%s imports %q from %s, which does not export it", name, n, m[2])
				}
			}
			visit(target)
		}
	}
	visit("js/main.js")
	for name := range exports {
		if !reached[name] {
			t.Errorf("%s is embedded but never imported", name)
		}
	}
}

// TestElementIDsExist: every byId('…') of the scripts names an element of
// index.html (dynamic ids are built from page names, checked too).
func TestElementIDsExist(t *testing.T) {
	html := assetText(t, "index.html")
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		if ids[m[1]] {
			t.Errorf("index.html: duplicate id %q", m[1])
		}
		ids[m[1]] = true
	}
	byID := regexp.MustCompile(`byId\('([^']+)'\)`)
	for _, name := range jsFiles(t) {
		for _, m := range byID.FindAllStringSubmatch(assetText(t, name), -1) {
			if !ids[m[1]] {
				t.Errorf("%s looks up #%s, which index.html does not have", name, m[1])
			}
		}
	}
	for _, page := range []string{"overview", "accounts", "monitor", "keys"} {
		for _, id := range []string{"page-" + page, page + "-title"} {
			if !ids[id] {
				t.Errorf("page %s: no #%s", page, id)
			}
		}
		if !strings.Contains(html, `href="#/`+page+`" data-page="`+page+`"`) {
			t.Errorf("no navigation link to %s", page)
		}
	}
	// Every form control has a label.
	for _, m := range regexp.MustCompile(`<(input|select)\b[^>]*\sid="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		if !strings.Contains(html, `for="`+m[2]+`"`) && !regexp.MustCompile(`<label[^>]*>\s*<input[^>]*id="`+m[2]+`"`).MatchString(html) {
			t.Errorf("#%s has no label", m[2])
		}
	}
}
