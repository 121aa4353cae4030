package cli

import "fmt"

// validateNotices checks the subscribe-message templates of the notices of
// canceled lotteries and of finished or expired packets (empty: inbox only).
func (c *serveConfig) validateNotices() error {
	for _, t := range []struct{ flag, value string }{
		{"--lottery-cancel-template", c.LotteryCancelTemplate},
		{"--packet-template", c.PacketTemplate},
	} {
		if len(t.value) > 128 {
			return fmt.Errorf("invalid %s: must be a template id of at most 128 characters", t.flag)
		}
	}
	return nil
}
