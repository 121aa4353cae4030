package lottery

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/internal/text"
)

// Limits of delivery details.
const (
	MaxClaimName    = 32
	MinClaimPhone   = 5
	MaxClaimPhone   = 20
	MaxClaimAddress = 200
)

// ClaimInput is a winner's delivery details.
type ClaimInput struct {
	Name    string
	Phone   string
	Address string
}

// Claim is a winner's delivery details as the creator reads them.
type Claim struct {
	UserID    string    `json:"user_id"`
	Nickname  string    `json:"nickname"`
	Prize     string    `json:"prize"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	Address   string    `json:"address"`
	ClaimedAt time.Time `json:"claimed_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// storedClaim is a claim in bucketClaims.
type storedClaim struct {
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	Address   string    `json:"address"`
	ClaimedAt time.Time `json:"claimed_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// validate normalizes the details: trimmed text; the phone as digits (spaces
// and dashes dropped, a leading +86 removed).
func (in *ClaimInput) validate() error {
	var bad fieldErrors
	bad.text("name", &in.Name, text.Rule{Min: 1, Max: MaxClaimName})
	p := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(in.Phone))
	p = strings.TrimPrefix(p, "+86")
	if len(p) < MinClaimPhone || len(p) > MaxClaimPhone || strings.ContainsFunc(p, func(r rune) bool { return r < '0' || r > '9' }) {
		bad.add("phone", "must be %d..%d digits", MinClaimPhone, MaxClaimPhone)
	}
	in.Phone = p
	bad.text("address", &in.Address, text.Rule{Min: 1, Max: MaxClaimAddress, Multiline: true})
	return bad.err()
}

// Claim records the delivery details of winner u in lottery id (again:
// updates them; created is false). Before the draw it is a conflict; a
// participant who won nothing is forbidden.
func (s *Service) Claim(ctx context.Context, id string, u auth.User, in ClaimInput) (c Claim, created bool, err error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return Claim{}, false, errNotFound()
	}
	if err := in.validate(); err != nil {
		return Claim{}, false, err
	}
	now := s.opts.Now().UTC()
	err = s.db.Update(ctx, func(tx data.Tx) error {
		created, c = false, Claim{}
		r, err := mustLoad(tx, seq, tag)
		if err != nil {
			return err
		}
		if r.Status != StatusDrawn {
			return notDrawn(&r)
		}
		w := data.MustBucket(tx, bucketWon).Get(pairKey(seq, u.Seq))
		if len(w) < 8 {
			return data.Errorf(data.EForbidden, "only winners leave delivery details")
		}
		if err := claimClosed(&r, wonRound(w), now); err != nil {
			return err
		}
		claims := data.MustBucket(tx, bucketClaims)
		k := pairKey(seq, u.Seq)
		var sc storedClaim
		had, err := data.GetJSON(claims, k, &sc)
		if err != nil {
			return err
		}
		if !had {
			sc.ClaimedAt = now
		}
		sc.Name, sc.Phone, sc.Address, sc.UpdatedAt = in.Name, in.Phone, in.Address, now
		if err := data.PutJSON(claims, k, sc); err != nil {
			return err
		}
		created = !had
		c = claimView(u.ID(), u.Nickname, prizeName(&r, w), sc)
		return nil
	})
	if err != nil {
		return Claim{}, false, fmt.Errorf("claim prize: %w", err)
	}
	return c, created, nil
}

func prizeName(r *record, won []byte) string {
	if p := int(data.ParseU64(won)); p < len(r.Prizes) {
		return r.Prizes[p].Name
	}
	return ""
}

func claimView(userID, nickname, prize string, sc storedClaim) Claim {
	return Claim{UserID: userID, Nickname: nickname, Prize: prize, Name: sc.Name, Phone: sc.Phone,
		Address: sc.Address, ClaimedAt: sc.ClaimedAt, UpdatedAt: sc.UpdatedAt}
}

// Claims lists the delivery details left by the winners of lottery id,
// limit at a time (cursor: next of the previous page); only the creator may
// read them (forbidden for anyone else, whatever the state). Before the
// draw it is a conflict.
func (s *Service) Claims(ctx context.Context, id string, userSeq uint64, cursor string, limit int) (items []Claim, next string, err error) {
	from, err := data.ParseForwardCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	limit = pageLimit(limit, DefaultWinnersLimit, MaxWinnersLimit)
	items = []Claim{}
	err = s.db.View(func(tx data.Tx) error {
		seq, r, err := loadResults(tx, id, func(r *record) error {
			if r.CreatorSeq != userSeq {
				return data.Errorf(data.EForbidden, "only the creator reads the delivery details")
			}
			return nil
		})
		if err != nil {
			return err
		}
		won := data.MustBucket(tx, bucketWon)
		c := data.MustBucket(tx, bucketClaims).Cursor()
		next, err = data.InOrder(c, lkey(seq), from, limit, func(user uint64, v []byte) (bool, error) {
			u, _, err := auth.UserBySeqInTx(tx, user)
			if err != nil {
				return false, err
			}
			var sc storedClaim
			if err := json.Unmarshal(v, &sc); err != nil {
				return false, fmt.Errorf("decode claim: %w", err)
			}
			items = append(items, claimView(u.ID(), u.Nickname, prizeName(&r, won.Get(pairKey(seq, user))), sc))
			return true, nil
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list claims: %w", err)
	}
	return items, next, nil
}
