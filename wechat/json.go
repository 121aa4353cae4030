package wechat

import (
	"bytes"
	"encoding/json"
)

// marshalJSON encodes v as the JSON body of a request to WeChat or WeChat
// Pay. Unlike json.Marshal it leaves &, < and > as they are instead of
// escaping them as \u0026, \u003c and \u003e: user text (lottery titles in
// subscribe messages, page paths with a query, order descriptions) reaches
// WeChat exactly as typed, as WeChat's own examples and the common SDKs
// (WxJava's Gson with disableHtmlEscaping) send it. Every JSON body the
// clients send goes through here. The result has no trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
