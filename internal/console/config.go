package console

import (
	"encoding/json"
	"net/url"
	"strings"
)

// EnvJaegerURL names the Jaeger UI that trace ids link to, e.g.
// http://jaeger:16686 (the page opens {url}/trace/{trace id}).
const EnvJaegerURL = "SWITCHYARD_JAEGER_URL"

// Config is what the page reads from config.json.
type Config struct {
	// JaegerURL is the Jaeger UI's base URL without a trailing slash; empty:
	// trace ids are shown as text.
	JaegerURL string `json:"jaeger_url"`
	// Problems are settings the console ignored, shown on the page.
	Problems []string `json:"problems"`
}

// ReadConfig reads the console's settings from the environment. A bad value
// is reported in Problems and otherwise ignored: the console is an aid and
// never stops the gateway from starting.
func ReadConfig(lookup func(string) (string, bool)) Config {
	c := Config{Problems: []string{}}
	v, _ := lookup(EnvJaegerURL)
	v = strings.TrimSpace(v)
	if v == "" {
		return c
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		c.Problems = append(c.Problems, EnvJaegerURL+" is not an http(s) URL without credentials (e.g. http://jaeger:16686); trace ids are not linked")
		return c
	}
	u.RawQuery, u.Fragment = "", ""
	c.JaegerURL = strings.TrimRight(u.String(), "/")
	return c
}

func (c Config) encode() []byte {
	b, _ := json.Marshal(c) // strings only: cannot fail
	return b
}
