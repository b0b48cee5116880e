package protocol

import "github.com/tidwall/sjson"

// Edit is one change to a JSON body by gjson path: Raw is the JSON to set
// there, "" deletes it.
type Edit struct {
	Path string
	Raw  string
}

// ApplyEdits applies edits found in document order to body and returns the
// result, or body unchanged when any edit fails. Later paths go first, so
// deleting an array element never shifts one still to be edited.
func ApplyEdits(body []byte, edits []Edit) []byte {
	out := body
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		var err error
		if e.Raw == "" {
			out, err = sjson.DeleteBytes(out, e.Path)
		} else {
			out, err = sjson.SetRawBytes(out, e.Path, []byte(e.Raw))
		}
		if err != nil {
			return body
		}
	}
	return out
}
