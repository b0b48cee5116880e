package server

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// readAll reads a body whole, with or without a declared length, and passes
// a read error on.
func TestReadAll(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 100_000} {
		body := bytes.Repeat([]byte("x"), n)
		for _, length := range []int64{int64(n), -1} {
			got, err := readAll(length, bytes.NewReader(body))
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%d bytes, declared %d: %d bytes, %v", n, length, len(got), err)
			}
		}
	}
	boom := errors.New("boom")
	if _, err := readAll(10, io.MultiReader(strings.NewReader("abc"), iotestErr{boom})); !errors.Is(err, boom) {
		t.Errorf("error %v; want boom", err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

// A generated request id is "req_" and 24 hex digits; a client's own is kept.
func TestRequestID(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{}
	for _, sent := range []string{"", "client-id-1"} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest("POST", "/v1/messages", nil)
		if sent != "" {
			c.Request.Header.Set("X-Request-Id", sent)
		}
		s.requestID(c)
		id := w.Header().Get("X-Request-Id")
		if got := c.GetString("request_id"); got != id {
			t.Errorf("context id %q, header %q", got, id)
		}
		if sent != "" && id != sent {
			t.Errorf("client id %q answered as %q", sent, id)
		}
		if sent == "" && !regexp.MustCompile(`^req_[0-9a-f]{24}$`).MatchString(id) {
			t.Errorf("generated id %q", id)
		}
	}
}
