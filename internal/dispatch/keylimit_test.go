package dispatch

import (
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

func TestMaxOutputTokens(t *testing.T) {
	for _, c := range []struct {
		p    llm.Protocol
		body string
		want int64
	}{
		{llm.Anthropic, `{"model":"m","max_tokens":1024,"messages":[]}`, 1024},
		{llm.OpenAI, `{"model":"m","messages":[],"max_completion_tokens" : 300}`, 300},
		{llm.OpenAI, `{"model":"m","input":"x","max_output_tokens":77}`, 77},
		{llm.Gemini, `{"contents":[],"generationConfig":{"temperature":1,"maxOutputTokens":2048}}`, 2048},
		{llm.Gemini, `{"contents":[],"generation_config":{"max_output_tokens":512}}`, 512},
		{llm.Anthropic, `{"model":"m","messages":[],"maxOutputTokens":9}`, 0},
		{llm.OpenAI, `{"model":"m","messages":[{"role":"user","content":"say \"max_tokens\": 99"}]}`, 0},
		{llm.OpenAI, `{"model":"m","tools":[{"parameters":{"properties":{"max_tokens":{"type":"integer"}}}}],"max_tokens":5}`, 5},
		{llm.OpenAI, `{"model":"m","messages":[],"usage_tokens":12}`, 0},
		{llm.OpenAI, `{"model":"m","max_tokens":null}`, 0},
	} {
		if got := maxOutputTokens(c.p, []byte(c.body)); got != c.want {
			t.Errorf("%s %s: %d; want %d", c.p, c.body, got, c.want)
		}
	}
}

func TestAdmissionReservesAnEstimate(t *testing.T) {
	d := &Dispatcher{}
	body := `{"model":"m","max_tokens":64000,"messages":[{"role":"user","content":"` + strings.Repeat("x", 1000) + `"}]}`
	req := &Request{Protocol: llm.Anthropic, Op: upstream.OpGenerate, Body: []byte(body), KeyName: "k", KeyLimits: schedule.KeyLimits{TPM: 10}}
	if got, want := d.admission(req).Reserve, int64((len(body)+3)/4+maxReserveOutput); got != want {
		t.Fatalf("reserve %d; want a quarter of the bytes plus the capped max_tokens, %d", got, want)
	}
	req.KeyLimits = schedule.KeyLimits{RPM: 10}
	if got := d.admission(req).Reserve; got != 0 {
		t.Fatalf("reserve %d without a token limit; want 0", got)
	}
	req.KeyLimits, req.Op = schedule.KeyLimits{DailyTokens: 10}, upstream.OpCountTokens
	if got := d.admission(req).Reserve; got != 0 {
		t.Fatalf("reserve %d for a token count; want 0", got)
	}
	req.Op, req.Body = upstream.OpGenerate, make([]byte, 8<<20)
	if got := d.admission(req).Reserve; got != maxReserveInput {
		t.Fatalf("reserve %d for 8 MiB; want the input cap %d", got, maxReserveInput)
	}
}

func BenchmarkReserveOf(b *testing.B) {
	body := []byte(`{"model":"m","messages":[` + strings.Repeat(`{"role":"user","content":"a line of text with \"quotes\" and numbers 12345"},`, 2000) +
		`{"role":"user","content":"x"}],"max_tokens":4096}`)
	req := &Request{Protocol: llm.Anthropic, Op: upstream.OpGenerate, Body: body}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if reserveOf(req) == 0 {
			b.Fatal("no estimate")
		}
	}
}
