package auth

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"luckbox/data"
	"luckbox/internal/text"
)

var (
	bucketUsers      = []byte("users")           // seq → user JSON
	bucketUserOpenID = []byte("users_by_openid") // openid → seq
	// bucketUserPhone indexes bound phones: phone ‖ '/' ‖ user seq (8) → empty.
	// A phone may be bound by several accounts (one person, two WeChat ids).
	bucketUserPhone = []byte("users_by_phone")
)

// User is a luckbox user. OpenID, UnionID and SessionKey are server-side
// only: handlers must never put them in a response.
type User struct {
	Seq        uint64    `json:"-"`
	Tag        uint64    `json:"tag"`
	OpenID     string    `json:"openid"`
	UnionID    string    `json:"unionid,omitempty"`
	SessionKey string    `json:"session_key,omitempty"`
	Nickname   string    `json:"nickname"`
	AvatarURL  string    `json:"avatar_url"`
	Phone      string    `json:"phone,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// ID is the user's public identifier.
func (u User) ID() string { return data.EncodeID(u.Seq, u.Tag) }

// Profile is what anyone may see of a user (the API's user object).
type Profile struct {
	ID        string `json:"id"`
	Nickname  string `json:"nickname"`
	AvatarURL string `json:"avatar_url"`
}

// Self is what a user sees of themselves (GET /me): their profile and their
// bound phone (null until bound).
type Self struct {
	Profile
	Phone *string `json:"phone"`
}

// Profile returns the user's public profile.
func (u User) Profile() Profile {
	return Profile{ID: u.ID(), Nickname: u.Nickname, AvatarURL: u.AvatarURL}
}

// Self returns the user's view of themselves.
func (u User) Self() Self {
	s := Self{Profile: u.Profile()}
	if u.Phone != "" {
		s.Phone = &u.Phone
	}
	return s
}

// Limits of profile fields.
const (
	MaxNickname  = 32
	MaxAvatarURL = 512
)

// getUser loads a user by sequence inside tx.
func getUser(tx data.Tx, seq uint64) (User, bool, error) {
	var u User
	ok, err := data.GetJSON(data.MustBucket(tx, bucketUsers), data.U64(seq), &u)
	u.Seq = seq
	return u, ok, err
}

// putUser stores u inside tx; once tx committed, the sessions cached for
// u are forgotten (session_cache.go). Every write of a user goes through it.
func (s *Service) putUser(tx data.Tx, u User) error {
	tx.OnCommit(func() { s.sessions.forgetUser(u.Seq) })
	return data.PutJSON(data.MustBucket(tx, bucketUsers), data.U64(u.Seq), u)
}

// UserInTx loads the user with public id inside tx; ok is false if there is none.
func UserInTx(tx data.Tx, id string) (User, bool, error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return User{}, false, nil
	}
	u, found, err := getUser(tx, seq)
	if err != nil || !found || u.Tag != tag {
		return User{}, false, err
	}
	return u, true, nil
}

// UserBySeqInTx loads a user by sequence number inside tx.
func UserBySeqInTx(tx data.Tx, seq uint64) (User, bool, error) { return getUser(tx, seq) }

// User returns the user with public id, or a not_found error.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	var u User
	var ok bool
	err := s.db.View(func(tx data.Tx) error {
		var err error
		u, ok, err = UserInTx(tx, id)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("load user: %w", err)
	}
	if !ok {
		return User{}, data.Errorf(data.ENotFound, "no such user")
	}
	return u, nil
}

// Nicknames returns the nickname of each known user id (unknown ids are left out).
func (s *Service) Nicknames(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	err := s.db.View(func(tx data.Tx) error {
		for _, id := range ids {
			if _, dup := out[id]; dup {
				continue
			}
			u, ok, err := UserInTx(tx, id)
			if err != nil {
				return err
			}
			if ok {
				out[id] = u.Nickname
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load nicknames: %w", err)
	}
	return out, nil
}

// ProfileUpdate holds the fields of PATCH /me; nil fields are unchanged.
type ProfileUpdate struct {
	Nickname  *string
	AvatarURL *string
}

func (p *ProfileUpdate) validate() error {
	if p.Nickname != nil {
		n, err := text.Field("nickname", *p.Nickname, text.Rule{Min: 1, Max: MaxNickname})
		if err != nil {
			return err
		}
		p.Nickname = &n
	}
	if p.AvatarURL != nil && *p.AvatarURL != "" {
		a := *p.AvatarURL
		u, err := url.Parse(a)
		if len(a) > MaxAvatarURL || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return data.Invalid("avatar_url", "must be an http(s) URL of at most %d bytes", MaxAvatarURL)
		}
	}
	return nil
}

// UpdateProfile changes the caller's nickname and avatar.
func (s *Service) UpdateProfile(ctx context.Context, userID string, p ProfileUpdate) (User, error) {
	if err := p.validate(); err != nil {
		return User{}, err
	}
	return s.modifyUser(ctx, userID, "update profile", func(tx data.Tx, u *User) error {
		if p.Nickname != nil {
			u.Nickname = *p.Nickname
		}
		if p.AvatarURL != nil {
			u.AvatarURL = *p.AvatarURL
		}
		return nil
	})
}

// SetPhone binds a phone number (digits, without +86) to the user.
func (s *Service) SetPhone(ctx context.Context, userID, phone string) (User, error) {
	return s.modifyUser(ctx, userID, "bind phone", func(tx data.Tx, u *User) error {
		idx := data.MustBucket(tx, bucketUserPhone)
		if u.Phone != "" && u.Phone != phone {
			if err := idx.Delete(phoneKey(u.Phone, u.Seq)); err != nil {
				return err
			}
		}
		if phone != "" {
			if err := idx.Put(phoneKey(phone, u.Seq), nil); err != nil {
				return err
			}
		}
		u.Phone = phone
		return nil
	})
}

// modifyUser is one write operation that loads the user with public id,
// lets change modify it (and write what else belongs with it), and stores it.
func (s *Service) modifyUser(ctx context.Context, userID, what string, change func(tx data.Tx, u *User) error) (User, error) {
	var u User
	var found bool
	err := s.db.Update(ctx, func(tx data.Tx) error {
		var err error
		u, found, err = UserInTx(tx, userID)
		if err != nil || !found {
			return err
		}
		if err := change(tx, &u); err != nil {
			return err
		}
		return s.putUser(tx, u)
	})
	if err != nil {
		return User{}, fmt.Errorf("%s: %w", what, err)
	}
	if !found {
		return User{}, data.Errorf(data.ENotFound, "no such user")
	}
	return u, nil
}

func phoneKey(phone string, seq uint64) []byte {
	return data.Key([]byte(phone), []byte{'/'}, data.U64(seq))
}

// UsersByPhoneInTx returns the users who bound phone (digits, without +86)
// with SetPhone, in sign-up order; usually one, none if nobody did.
func UsersByPhoneInTx(tx data.Tx, phone string) ([]User, error) {
	if phone == "" {
		return nil, nil
	}
	prefix := append([]byte(phone), '/')
	var out []User
	c := data.MustBucket(tx, bucketUserPhone).Cursor()
	for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		u, ok, err := getUser(tx, data.ParseU64(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("users by phone: %w", err)
		}
		if ok && u.Phone == phone {
			out = append(out, u)
		}
	}
	return out, nil
}
