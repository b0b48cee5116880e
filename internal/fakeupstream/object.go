package fakeupstream

import (
	"bytes"
	"encoding/json"
)

// object is a JSON object whose keys keep their order, so that events read
// like the providers' own ("type" first). Build it as a literal:
//
//	object{{"type", "ping"}}
type object []field

type field struct {
	key   string
	value any
}

// MarshalJSON implements json.Marshaler.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// with returns a copy of o with key set to value (replaced in place when o
// has it, appended otherwise).
func (o object) with(key string, value any) object {
	out := make(object, 0, len(o)+1)
	found := false
	for _, f := range o {
		if f.key == key {
			f.value, found = value, true
		}
		out = append(out, f)
	}
	if !found {
		out = append(out, field{key, value})
	}
	return out
}
