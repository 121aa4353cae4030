package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"luckbox/data"
)

// bucketGroupProofs holds the cached group proofs: user seq (8) ‖ openGId →
// groupProof JSON. A user's proofs sit together under their seq; at most
// MaxGroupProofs of them are kept (ProveGroup drops expired ones first,
// then the one that expires soonest). The bucket is new in schema 2 and
// created empty at open: no migration (no record changes meaning).
var bucketGroupProofs = []byte("group_proofs")

// Group proof limits and defaults.
const (
	// MaxGroupProofs is the most groups a user's cached proofs name.
	MaxGroupProofs = 20
	// DefaultGroupProofTTL is how long a proof counts (Options.GroupProofTTL).
	DefaultGroupProofTTL = 24 * time.Hour
	// MaxShareInfoAge is how old (by its watermark) share info may be when
	// it is sent: WeChat stamps it when wx.getShareInfo or
	// wx.getGroupEnterInfo answers, so older data was kept or replayed.
	MaxShareInfoAge = 10 * time.Minute
	// maxShareInfoSkew is how far ahead of the server's clock a watermark may be.
	maxShareInfoSkew  = 2 * time.Minute
	maxEncryptedGroup = 4096
	maxGroupIV        = 64
)

// Reasons of a refused group-only join or grab (the error's reason).
const (
	// ReasonGroupProofRequired: the user has no valid proof of any group.
	ReasonGroupProofRequired = "group_proof_required"
	// ReasonGroupProofExpired: the user's proof of this group has expired.
	ReasonGroupProofExpired = "group_proof_expired"
	// ReasonNotInGroup: the user proved other groups, not this one.
	ReasonNotInGroup = "not_in_group"
)

// GroupResolver decrypts what wx.getShareInfo and wx.getGroupEnterInfo give
// a mini-program (the commands package adapts the WeChat package).
type GroupResolver interface {
	// GroupFromEncrypted decrypts encryptedData and iv with the user's
	// session key, checks the watermark's app id, and returns the group's
	// openGId and the watermark's time.
	GroupFromEncrypted(ctx context.Context, sessionKey, encryptedData, iv string) (openGID string, at time.Time, err error)
	// BadInput reports whether err means the client's data is bad rather
	// than the server failing.
	BadInput(err error) bool
}

// GroupShare is what a client sends to prove it is in a group: the
// encryptedData and iv of wx.getShareInfo or wx.getGroupEnterInfo.
type GroupShare struct {
	EncryptedData string `json:"encrypted_data"`
	IV            string `json:"iv"`
}

// GroupProof is a cached proof as its user sees it. The group's openGId
// never leaves the server.
type GroupProof struct {
	ExpiresAt time.Time `json:"expires_at"`
}

// groupProof is the stored proof.
type groupProof struct {
	ProvenAt  time.Time `json:"proven_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func groupProofKey(user uint64, openGID string) []byte {
	return data.Key(data.U64(user), []byte(openGID))
}

// ProveGroup verifies share (decrypted with the session key of u's latest
// login, watermark of this app, stamped within MaxShareInfoAge) and caches
// the proof that u is in its group until now + GroupProofTTL. It returns
// the group's openGId, for the caller to bind an activity to (never to show).
// Data that does not decrypt, is stale, or names another app is
// invalid_argument on field (the name the client used for share).
func (s *Service) ProveGroup(ctx context.Context, u User, field string, share GroupShare) (string, GroupProof, error) {
	if s.opts.Groups == nil {
		return "", GroupProof{}, data.Errorf(data.EConflict, "group proofs are not configured on this server")
	}
	if share.EncryptedData == "" || share.IV == "" || len(share.EncryptedData) > maxEncryptedGroup || len(share.IV) > maxGroupIV {
		return "", GroupProof{}, data.Invalid(field, "send both encrypted_data and iv from wx.getShareInfo or wx.getGroupEnterInfo")
	}
	if u.SessionKey == "" {
		return "", GroupProof{}, data.Invalid(field, "no WeChat session to decrypt with: log in again, then retry")
	}
	gid, at, err := s.opts.Groups.GroupFromEncrypted(ctx, u.SessionKey, share.EncryptedData, share.IV)
	if err != nil {
		if s.opts.Groups.BadInput(err) {
			return "", GroupProof{}, data.Invalid(field,
				"could not be decrypted with the session of your latest login (tampered, from another app, or from an older login): call wx.login, log in again and retry")
		}
		return "", GroupProof{}, fmt.Errorf("prove group: %w", err)
	}
	now := s.opts.Now().UTC()
	if now.Sub(at) > MaxShareInfoAge || at.Sub(now) > maxShareInfoSkew {
		return "", GroupProof{}, data.Invalid(field, "the share info is stale: call wx.getShareInfo or wx.getGroupEnterInfo again and send it at once")
	}
	p := groupProof{ProvenAt: now, ExpiresAt: now.Add(s.opts.GroupProofTTL)}
	err = s.db.Update(ctx, func(tx data.Tx) error {
		return putGroupProof(tx, u.Seq, gid, p, now)
	})
	if err != nil {
		return "", GroupProof{}, fmt.Errorf("prove group: %w", err)
	}
	return gid, GroupProof{ExpiresAt: p.ExpiresAt}, nil
}

// putGroupProof stores p for user and group, dropping the user's expired
// proofs and, at MaxGroupProofs, the one that expires soonest.
func putGroupProof(tx data.Tx, user uint64, gid string, p groupProof, now time.Time) error {
	b := data.MustBucket(tx, bucketGroupProofs)
	prefix := data.U64(user)
	key := groupProofKey(user, gid)
	var drop [][]byte
	var soonest []byte
	var soonestAt time.Time
	others := 0
	c := b.Cursor()
	for k, v := c.Seek(prefix); hasUserPrefix(k, prefix); k, v = c.Next() {
		var old groupProof
		if err := decodeProof(v, &old); err != nil {
			return err
		}
		switch k = append([]byte(nil), k...); {
		case !now.Before(old.ExpiresAt):
			drop = append(drop, k)
		case string(k) != string(key):
			others++
			if soonest == nil || old.ExpiresAt.Before(soonestAt) {
				soonest, soonestAt = k, old.ExpiresAt
			}
		}
	}
	if others >= MaxGroupProofs {
		drop = append(drop, soonest)
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return data.PutJSON(b, key, p)
}

// hasUserPrefix reports whether k is a key under a user's prefix.
func hasUserPrefix(k, prefix []byte) bool {
	return len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix)
}

func decodeProof(v []byte, p *groupProof) error {
	if err := json.Unmarshal(v, p); err != nil {
		return fmt.Errorf("decode group proof: %w", err)
	}
	return nil
}

// CheckGroupInTx decides, inside the write that joins or grabs, whether
// user may take part in an activity bound to group openGID at now: nil if
// they hold an unexpired proof of it, else a forbidden error whose reason
// says why (ReasonGroupProofExpired, ReasonNotInGroup,
// ReasonGroupProofRequired). An empty openGID is open to everyone.
func CheckGroupInTx(tx data.Tx, user uint64, openGID string, now time.Time) error {
	if openGID == "" {
		return nil
	}
	b := data.MustBucket(tx, bucketGroupProofs)
	var p groupProof
	if v := b.Get(groupProofKey(user, openGID)); v != nil {
		if err := decodeProof(v, &p); err != nil {
			return err
		}
		if now.Before(p.ExpiresAt) {
			return nil
		}
		return groupForbidden(ReasonGroupProofExpired,
			"this is for the members of one WeChat group and your proof has expired: open it from the group chat again")
	}
	prefix := data.U64(user)
	c := b.Cursor()
	for k, v := c.Seek(prefix); hasUserPrefix(k, prefix); k, v = c.Next() {
		if err := decodeProof(v, &p); err != nil {
			return err
		}
		if now.Before(p.ExpiresAt) {
			return groupForbidden(ReasonNotInGroup, "this is for the members of one WeChat group, and you are not in it")
		}
	}
	return groupForbidden(ReasonGroupProofRequired,
		"this is for the members of one WeChat group: open it from the group chat to prove you are in it")
}

func groupForbidden(reason, msg string) error {
	return &data.Error{Code: data.EForbidden, Message: msg, Reason: reason}
}
