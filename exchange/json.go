package exchange

import (
	"encoding/json"
	"time"
)

// The API's JSON of gift exchanges: the web layer marshals these types
// directly, as it does lotteries and packets. Values that are absent until
// something happens (the assignment hash before the start, a participant's
// recipient before it) are null, not "".

// MarshalJSON encodes the admin's view of an exchange.
func (e Exchange) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID               string     `json:"id"`
		Title            string     `json:"title"`
		Status           string     `json:"status"`
		ParticipantCount int        `json:"participant_count"`
		DrawnCount       int        `json:"drawn_count"`
		CreatedAt        time.Time  `json:"created_at"`
		StartedAt        *time.Time `json:"started_at"`
		AssignmentHash   *string    `json:"assignment_hash"`
	}{e.ID, e.Title, e.Status, e.ParticipantCount, e.DrawnCount, e.CreatedAt, e.StartedAt, nonEmpty(e.AssignmentHash)})
}

// MarshalJSON encodes the admin's view of a participant (results, edits).
func (p Participant) MarshalJSON() ([]byte, error) {
	exclude := p.Exclude
	if exclude == nil {
		exclude = []string{}
	}
	out := struct {
		ID          string     `json:"id"`
		Name        string     `json:"name"`
		Phone       string     `json:"phone"`
		Group       string     `json:"group"`
		Exclude     []string   `json:"exclude"`
		Drawn       bool       `json:"drawn"`
		DrawnAt     *time.Time `json:"drawn_at"`
		Recipient   *string    `json:"recipient"`
		RecipientID *string    `json:"recipient_id"`
		RemindedAt  *time.Time `json:"reminded_at"`
	}{ID: p.ID, Name: p.Name, Phone: p.Phone, Group: p.Group, Exclude: exclude, Drawn: p.Drawn(),
		DrawnAt: p.DrawnAt, RemindedAt: p.RemindedAt}
	if p.RecipientID != "" {
		out.Recipient, out.RecipientID = &p.RecipientName, &p.RecipientID
	}
	return json.Marshal(out)
}

// recipient is all a participant learns about whom they give to.
type recipient struct {
	Name string `json:"name"`
}

// MarshalJSON encodes a participant's draw: whom they give to, and when
// they first drew.
func (d DrawResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Recipient recipient `json:"recipient"`
		DrawnAt   time.Time `json:"drawn_at"`
	}{recipient{d.RecipientName}, d.DrawnAt})
}

// MarshalJSON encodes a participant's own state: the recipient is null
// until they draw.
func (m MeResult) MarshalJSON() ([]byte, error) {
	out := struct {
		Drawn     bool       `json:"drawn"`
		DrawnAt   *time.Time `json:"drawn_at"`
		Recipient *recipient `json:"recipient"`
	}{Drawn: m.Drawn, DrawnAt: m.DrawnAt}
	if m.Drawn {
		out.Recipient = &recipient{m.RecipientName}
	}
	return json.Marshal(out)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
