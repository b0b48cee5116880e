package config

import "testing"

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    ByteSize
		wantErr bool
	}{
		{in: "1048576", want: 1 << 20},
		{in: "0", want: 0},
		{in: "512B", want: 512},
		{in: "32MiB", want: 32 << 20},
		{in: "32mib", want: 32 << 20},
		{in: "4KiB", want: 4096},
		{in: "2GiB", want: 2 << 30},
		{in: "500KB", want: 500_000},
		{in: "3MB", want: 3_000_000},
		{in: "1GB", want: 1_000_000_000},
		{in: " 8 MiB ", want: 8 << 20},
		{in: "", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "1.5MiB", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "10TB", wantErr: true},
		{in: "9999999999999GiB", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseByteSize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseByteSize(%q) error = %v; want error = %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseByteSize(%q) = %d; want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0"},
		{1000, "1000"},
		{4096, "4KiB"},
		{32 << 20, "32MiB"},
		{3 << 30, "3GiB"},
		{1536 << 10, "1536KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("ByteSize(%d).String() = %q; want %q", int64(tt.in), got, tt.want)
			}
		})
	}
}
