package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
)

// Load reads the settings from the process environment, merges the client
// keys file, normalises the enumerated settings and validates the result.
//
// The error lists every problem found, one line per bad variable, each line
// starting with the variable's name.
func Load() (Config, error) {
	var c Config
	problems, failed := processEnv(&c)

	keysFileOK := true
	c.normalize()
	c.EnvAPIKeys = append([]string(nil), c.APIKeys...)
	if c.APIKeysFile != "" {
		n, secrets, err := readKeysFile(c.APIKeysFile)
		if err != nil {
			keysFileOK = false
			problems = append(problems, &settingError{envAPIKeysFile, err.Error()})
		}
		c.APIKeys = append(c.APIKeys, secrets...)
		c.FileKeys = n
	}
	c.normalize()

	for _, p := range c.validate(keysFileOK) {
		// A variable that did not parse already has its line; its zero value
		// would only add a second, misleading one.
		if !failed[p.name] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return Config{}, joinProblems(problems)
	}
	return c, nil
}

// processEnv fills c from the environment one field at a time, so that every
// unparsable variable is reported and not only the first one, which is where
// a single envconfig.Process call stops. It returns the problems and the set
// of variables that failed.
func processEnv(c *Config) ([]*settingError, map[string]bool) {
	var problems []*settingError
	failed := map[string]bool{}
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		one := reflect.New(reflect.StructOf([]reflect.StructField{{Name: f.Name, Type: f.Type, Tag: f.Tag}}))
		if err := envconfig.Process("", one.Interface()); err != nil {
			p := translateEnvError(err, f)
			problems = append(problems, p)
			failed[p.name] = true
			continue
		}
		v.Field(i).Set(one.Elem().Field(0))
	}
	return problems, failed
}

// translateEnvError turns envconfig's ParseError into one line naming the
// variable and what is wrong with its value.
func translateEnvError(err error, f reflect.StructField) *settingError {
	name := f.Tag.Get("envconfig")
	var pe *envconfig.ParseError
	if !errors.As(err, &pe) {
		return &settingError{name, err.Error()}
	}
	var msg string
	switch {
	case f.Type == reflect.TypeFor[time.Duration]():
		msg = fmt.Sprintf("invalid duration %q (use Go syntax such as 500ms, 90s or 1h)", pe.Value)
	case f.Type == reflect.TypeFor[ByteSize]():
		msg = pe.Err.Error()
	case f.Type.Kind() == reflect.Int:
		msg = fmt.Sprintf("not an integer: %q", pe.Value)
	case f.Type.Kind() == reflect.Float64:
		msg = fmt.Sprintf("not a number: %q", pe.Value)
	case f.Type.Kind() == reflect.Bool:
		msg = fmt.Sprintf("not a boolean: %q (use true or false)", pe.Value)
	default:
		msg = fmt.Sprintf("cannot parse value: %v", pe.Err)
	}
	return &settingError{name, msg}
}

// readKeysFile parses the keys file (plain or YAML, see clientkey.ParseFile)
// and returns how many keys it holds and its plain secrets. The gateway
// re-reads the file itself while it runs.
func readKeysFile(path string) (int, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, fmt.Errorf("read keys file: %w", err)
	}
	keys, secrets, err := clientkey.ParseFile(data, os.LookupEnv)
	if err != nil {
		return 0, nil, err
	}
	return len(keys), secrets, nil
}

// normalize trims the keys, removes duplicate client keys (keeping the first
// occurrence; empty entries stay for validate to report), and brings the
// enumerated settings to their canonical spelling.
func (c *Config) normalize() {
	seen := make(map[string]bool, len(c.APIKeys))
	var keys []string
	for _, k := range c.APIKeys {
		k = strings.TrimSpace(k)
		if k != "" && seen[k] {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	c.APIKeys = keys

	if k := strings.TrimSpace(c.AdminKey); k != "" {
		c.AdminKey = k
	}
	if m, ok := canonicalMode(c.SchedulingMode); ok {
		c.SchedulingMode = m
	}
	c.RedisFailureMode = strings.ToLower(strings.TrimSpace(c.RedisFailureMode))
	c.LogLevel = strings.ToLower(strings.TrimSpace(c.LogLevel))
	c.LogFormat = strings.ToLower(strings.TrimSpace(c.LogFormat))
}

// canonicalMode returns the canonical spelling of a scheduling mode given in
// any letter case.
func canonicalMode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, m := range []string{CacheFirst, Balance, PerformanceFirst} {
		if strings.EqualFold(s, m) {
			return m, true
		}
	}
	return "", false
}
