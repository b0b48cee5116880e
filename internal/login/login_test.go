package login

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

func fakeGoogle(t *testing.T) (*fakeupstream.Server, string) {
	t.Helper()
	fake := fakeupstream.New(fakeupstream.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL
}

func flags(url string, extra ...string) []string {
	return append([]string{"google", "--client-id", "cli-test.apps.googleusercontent.com", "--client-secret", "cs-test",
		"--auth-url", url + "/o/oauth2/v2/auth", "--token-url", url + "/token", "--codeassist-url", url}, extra...)
}

// checkEntry parses the printed entry as an accounts file with the secret
// in the environment, as the gateway would.
func checkEntry(t *testing.T, out, url, wantEmail, wantTierID string) *account.Account {
	t.Helper()
	entry, secret, ok := strings.Cut(out, "# Secret")
	if !ok {
		t.Fatalf("no Secret section in:\n%s", out)
	}
	var name, value string
	for _, line := range strings.Split(secret, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "GOOGLE_REFRESH_TOKEN_") {
			name, value = k, v
		}
	}
	if !strings.HasPrefix(value, "1//0fake-") {
		t.Fatalf("secret value %q; want the refresh token", value)
	}
	if strings.Contains(entry, value) {
		t.Fatal("the refresh token itself is in the accounts entry")
	}
	if !strings.Contains(entry, "refresh_token: ${"+name+"}") || !strings.Contains(entry, "(tier "+wantTierID+" ->") {
		t.Errorf("entry:\n%s", entry)
	}
	env := map[string]string{name: value, "GOOGLE_OAUTH_CLIENT_SECRET": "cs-test"}
	pool, err := account.Parse([]byte("accounts:\n"+strings.SplitN(entry, "\n", 2)[1]), func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("the printed entry is not a valid accounts file: %v\n%s", err, entry)
	}
	a := pool.Accounts()[0]
	if a.Provider != account.CodeAssist || a.Email != wantEmail || a.BaseURL != url || a.Project == "" ||
		a.OAuth.TokenURL != url+"/token" || a.OAuth.RefreshToken.Reveal() != value || !a.TierAuto {
		t.Errorf("parsed entry %+v", a)
	}
	var doc any
	if err := yaml.Unmarshal([]byte(entry), &doc); err != nil {
		t.Errorf("entry is not YAML: %v", err)
	}
	return a
}

func TestLoginLoopbackAgainstTheFakeGoogle(t *testing.T) {
	fake, url := fakeGoogle(t)
	fake.SetCodeAssistLogin("carol@example.com", fakeupstream.CodeAssistUser{OnboardPolls: 1})
	var stdout, stderr bytes.Buffer
	browsed := ""
	env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		// The "browser": follow the authorization endpoint's redirect to the loopback listener.
		Browse: func(u string) error {
			browsed = u
			resp, err := http.Get(u + "&login_hint=carol@example.com")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.Contains(string(body), "Signed in") {
				t.Errorf("callback page %d %s", resp.StatusCode, body)
			}
			return nil
		}}
	if code := Main(context.Background(), flags(url), env); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"code_challenge_method=S256", "access_type=offline", "redirect_uri=http%3A%2F%2F127.0.0.1",
		"cloud-platform", "userinfo.email", "userinfo.profile"} {
		if !strings.Contains(browsed, want) {
			t.Errorf("authorization URL lacks %s: %s", want, browsed)
		}
	}
	a := checkEntry(t, stdout.String(), url, "carol@example.com", fakeupstream.TierFree)
	if a.ID != "google-carol" {
		t.Errorf("id %q", a.ID)
	}
	var onboard int
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Path, ":onboardUser") {
			onboard++
		}
	}
	if onboard != 1 {
		t.Errorf("onboardUser called %d times; want once for a new user", onboard)
	}
	if strings.Contains(stderr.String(), "1//0fake-") {
		t.Error("the refresh token was printed on stderr")
	}
}

func TestLoginNoBrowserReadsThePastedRedirect(t *testing.T) {
	fake, url := fakeGoogle(t)
	fake.SetCodeAssistLogin("dan@example.com", fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: "dans-project"})
	inR, inW := io.Pipe()
	errR, errW := io.Pipe()
	var stdout bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// The operator: open the printed URL elsewhere, paste where it redirected.
		defer wg.Done()
		sc := bufio.NewScanner(errR)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "http") {
				continue
			}
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := c.Get(line + "&login_hint=dan@example.com")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			io.WriteString(inW, resp.Header.Get("Location")+"\n")
			break
		}
		_, _ = io.Copy(io.Discard, errR)
	}()
	code := Main(context.Background(), flags(url, "--no-browser", "--id", "dan-main"), Env{Stdin: inR, Stdout: &stdout, Stderr: errW})
	errW.Close()
	wg.Wait()
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	a := checkEntry(t, stdout.String(), url, "dan@example.com", fakeupstream.TierStandard)
	if a.ID != "dan-main" || a.Project != "dans-project" {
		t.Errorf("entry %+v", a)
	}
}

func TestLoginNeedsAClient(t *testing.T) {
	var stderr bytes.Buffer
	code := Main(context.Background(), []string{"google"}, Env{Stdout: io.Discard, Stderr: &stderr})
	if code != 2 || !strings.Contains(stderr.String(), "SWITCHYARD_GOOGLE_CLIENT_ID") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

// browseAs is a "browser" that signs in as email: it follows the
// authorization endpoint's redirect to the loopback listener.
func browseAs(t *testing.T, email string) func(string) error {
	return func(u string) error {
		resp, err := http.Get(u + "&login_hint=" + email)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Signed in") {
			t.Errorf("callback page %d %s", resp.StatusCode, body)
		}
		return nil
	}
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func TestLoginTakesTheClientFromTheEnvironment(t *testing.T) {
	const envID, envSecret = "env-client.apps.googleusercontent.com", "env-secret-93c1"
	fake, url := fakeGoogle(t)
	fake.SetOAuthClient(envID, envSecret)
	fake.SetCodeAssistLogin("erin@example.com", fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: "erins-project"})
	endpoints := []string{"google", "--auth-url", url + "/o/oauth2/v2/auth", "--token-url", url + "/token", "--codeassist-url", url}

	t.Run("env", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Browse: browseAs(t, "erin@example.com"),
			LookupEnv: lookup(map[string]string{"SWITCHYARD_GOOGLE_CLIENT_ID": envID, "SWITCHYARD_GOOGLE_CLIENT_SECRET": envSecret})}
		if code := Main(context.Background(), endpoints, env); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		a := checkEntry(t, stdout.String(), url, "erin@example.com", fakeupstream.TierStandard)
		if a.ID != "google-erin" || a.Project != "erins-project" || a.OAuth.ClientID != envID {
			t.Errorf("entry %+v (client %q)", a, a.OAuth.ClientID)
		}
		if !strings.Contains(stdout.String(), "client_secret: ${GOOGLE_OAUTH_CLIENT_SECRET}") {
			t.Errorf("the entry does not reference the client secret:\n%s", stdout.String())
		}
		if strings.Contains(stdout.String()+stderr.String(), envSecret) {
			t.Error("the client secret from the environment was printed")
		}
	})

	t.Run("env-wrong-secret", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Browse: browseAs(t, "erin@example.com"),
			LookupEnv: lookup(map[string]string{"SWITCHYARD_GOOGLE_CLIENT_ID": envID, "SWITCHYARD_GOOGLE_CLIENT_SECRET": "not-it"})}
		if code := Main(context.Background(), endpoints, env); code != 1 || !strings.Contains(stderr.String(), "invalid_client") ||
			stdout.Len() != 0 || strings.Contains(stderr.String(), "not-it") {
			t.Fatalf("exit %d, stdout %q, stderr: %s; want 1 with Google's invalid_client and no secret", code, stdout.String(), stderr.String())
		}
	})

	t.Run("flags-win", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Browse: browseAs(t, "erin@example.com"),
			LookupEnv: lookup(map[string]string{"SWITCHYARD_GOOGLE_CLIENT_ID": "other.apps.googleusercontent.com", "SWITCHYARD_GOOGLE_CLIENT_SECRET": "other"})}
		args := append(append([]string{}, endpoints...), "--client-id", envID, "--client-secret", envSecret)
		if code := Main(context.Background(), args, env); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if a := checkEntry(t, stdout.String(), url, "erin@example.com", fakeupstream.TierStandard); a.OAuth.ClientID != envID {
			t.Errorf("client %q; want the flag's", a.OAuth.ClientID)
		}
	})
}
