package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"luckbox/data"
)

// bucketGrants counts one-time subscribe-message grants:
// key = user seq (8) ‖ template id → count (8 bytes).
var bucketGrants = []byte("subscribe_grants")

const outboxSubscribe = "auth.subscribe"

// Pusher sends a WeChat subscribe message. Permanent must report whether an
// error will never succeed on retry (the user refused, the template or data is
// invalid), so the message is not retried.
type Pusher interface {
	SendSubscribe(ctx context.Context, openid, template, page string, fields map[string]string) error
	Permanent(err error) bool
}

type pushMessage struct {
	OpenID   string            `json:"openid"`
	Template string            `json:"template"`
	Page     string            `json:"page"`
	Data     map[string]string `json:"data"`
}

// Limits of subscription grants.
const (
	maxTemplateID = 128
	maxGrant      = 1000
)

// AddSubscriptions records grants the client obtained with
// wx.requestSubscribeMessage: count more messages of template may be sent.
// It returns the user's grants left for the template.
func (s *Service) AddSubscriptions(ctx context.Context, userSeq uint64, template string, count int) (int, error) {
	template = strings.TrimSpace(template)
	if template == "" || len(template) > maxTemplateID {
		return 0, data.Invalid("template_id", "must be 1..%d characters", maxTemplateID)
	}
	if count < 1 || count > 100 {
		return 0, data.Invalid("count", "must be 1..100")
	}
	var left int
	err := s.db.Update(ctx, func(tx data.Tx) error {
		b := data.MustBucket(tx, bucketGrants)
		k := data.Key(data.U64(userSeq), []byte(template))
		left = min(int(data.ParseU64(b.Get(k)))+count, maxGrant)
		return b.Put(k, data.U64(uint64(left)))
	})
	if err != nil {
		return 0, fmt.Errorf("add subscriptions: %w", err)
	}
	return left, nil
}

// Grants returns how many messages of template may still be sent to the user.
func (s *Service) Grants(ctx context.Context, userSeq uint64, template string) (int, error) {
	var n int
	err := s.db.View(func(tx data.Tx) error {
		n = int(data.ParseU64(data.MustBucket(tx, bucketGrants).Get(data.Key(data.U64(userSeq), []byte(template)))))
		return nil
	})
	return n, err
}

// useGrant takes one grant for template, reporting whether there was one.
func useGrant(tx data.Tx, userSeq uint64, template string) (bool, error) {
	b := data.MustBucket(tx, bucketGrants)
	k := data.Key(data.U64(userSeq), []byte(template))
	n := data.ParseU64(b.Get(k))
	if n == 0 {
		return false, nil
	}
	if n == 1 {
		return true, b.Delete(k)
	}
	return true, b.Put(k, data.U64(n-1))
}

// deliverSubscribe sends one queued subscribe message.
func (s *Service) deliverSubscribe(ctx context.Context, m data.Message) error {
	var p pushMessage
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return data.Permanent(fmt.Errorf("decode push: %w", err))
	}
	if err := s.opts.Pusher.SendSubscribe(ctx, p.OpenID, p.Template, p.Page, p.Data); err != nil {
		if s.opts.Pusher.Permanent(err) {
			return data.Permanent(err)
		}
		return err
	}
	return nil
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}
