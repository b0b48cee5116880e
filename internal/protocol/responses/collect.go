package responses

import (
	"errors"

	"github.com/tidwall/gjson"
)

// Collector keeps the response object of a Responses stream's terminal
// event, so a non-streaming client can be served from the encoder's events:
// that object already holds the whole output and the usage.
type Collector struct {
	resp []byte
}

// Add feeds one event's data; only response.completed and
// response.incomplete matter.
func (c *Collector) Add(data []byte) {
	switch gjson.GetBytes(data, "type").Str {
	case "response.completed", "response.incomplete":
		if r := gjson.GetBytes(data, "response"); r.IsObject() {
			c.resp = []byte(r.Raw)
		}
	}
}

// JSON is the collected response object; an error when no terminal event
// arrived.
func (c *Collector) JSON() ([]byte, error) {
	if c.resp == nil {
		return nil, errors.New("responses: stream ended without response.completed")
	}
	return c.resp, nil
}
