package account

import "testing"

// mapEnv is a lookupEnv over a fixed map.
func mapEnv(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestExpand(t *testing.T) {
	env := mapEnv(map[string]string{"KEY": "sk-123", "EMPTY": "", "A_1": "x"})
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "plain", want: "plain"},
		{in: "${KEY}", want: "sk-123"},
		{in: "Bearer ${KEY}!", want: "Bearer sk-123!"},
		{in: "${KEY}${A_1}", want: "sk-123x"},
		{in: "${EMPTY}", want: ""},
		{in: "$KEY stays", want: "$KEY stays"},
		{in: "cost $5", want: "cost $5"},
		{in: "$${KEY}", want: "${KEY}"},
		{in: "a$${KEY}b${A_1}", want: "a${KEY}bx"},
		{in: `quote"d ${KEY}`, want: `quote"d sk-123`},
		{in: "${MISSING}", wantErr: "environment variable MISSING is not set"},
		{in: "x${KEY", wantErr: `unterminated "${" (write "$${" for a literal "${")`},
		{in: "${}", wantErr: `invalid variable reference: names are letters, digits and _ and do not start with a digit (write "$${" for a literal "${")`},
		{in: "${1A}", wantErr: `invalid variable reference: names are letters, digits and _ and do not start with a digit (write "$${" for a literal "${")`},
		{in: "${sk-live-secret}", wantErr: `invalid variable reference: names are letters, digits and _ and do not start with a digit (write "$${" for a literal "${")`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := expand(tt.in, env)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Fatalf("expand(%q) error = %q; want %q", tt.in, gotErr, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("expand(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}
