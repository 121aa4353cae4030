package lottery

import (
	"fmt"
	"strconv"
	"time"

	"luckbox/auth"
)

// Inbox kinds of claim windows and redraws.
const (
	KindRedrawWon   = "lottery_redraw_won"   // a redraw round gave the user a prize
	KindClaimLapsed = "lottery_claim_lapsed" // the user's claim window closed unclaimed
)

// redrawNotification tells a redraw winner their prize and their claim
// deadline: an inbox item, and the draw-result subscribe message (fields
// as in resultNotification) when the user granted one. Details carry the
// language-neutral facts (round, prize, deadline, the round's seed_hash).
func (s *Service) redrawNotification(id string, r *record, round int, prize string, deadline time.Time) auth.Notification {
	rd := r.Redraws[round-1]
	return auth.Notification{
		Kind:     KindRedrawWon,
		Title:    "补抽中奖",
		Body:     fmt.Sprintf("恭喜你在「%s」的第 %d 轮补抽中抽中%s，请在 %s 前填写领奖信息", r.Title, round, prize, deadline.In(chinaTime).Format("2006-01-02 15:04")),
		Ref:      id,
		Template: s.opts.Template,
		Page:     s.opts.Page + "?id=" + id,
		Data: map[string]string{
			"thing1":  truncate(r.Title, 20),
			"phrase2": "补抽中奖",
			"thing3":  truncate(prize, 20),
			"time4":   rd.DrawnAt.In(chinaTime).Format("2006-01-02 15:04"),
		},
		Details: map[string]string{
			"lottery_id": id, "round": strconv.Itoa(round), "prize": prize,
			"claim_deadline": deadline.UTC().Format(time.RFC3339), "seed_hash": rd.SeedHash,
		},
	}
}

// lapsedNotification tells a winner whose claim window closed unclaimed
// that the prize (index prize) is lost, and whether it goes to a redraw
// (inbox only: the user has no action left to take).
func (s *Service) lapsedNotification(id string, r *record, prize int, redrawn bool) auth.Notification {
	name := ""
	if prize >= 0 && prize < len(r.Prizes) {
		name = r.Prizes[prize].Name
	}
	body := fmt.Sprintf("你在「%s」中抽中的%s已过领奖期限", r.Title, name)
	if redrawn {
		body += "，奖品已重新抽取"
	}
	return auth.Notification{
		Kind:    KindClaimLapsed,
		Title:   "领奖已过期",
		Body:    body,
		Ref:     id,
		Details: map[string]string{"lottery_id": id, "prize": name, "redrawn": strconv.FormatBool(redrawn)},
	}
}
