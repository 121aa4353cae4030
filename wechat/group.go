package wechat

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ShareInfo is the decrypted payload of wx.getShareInfo (from a group's
// share ticket) or wx.getGroupEnterInfo (opened from a group chat): the
// group's openGId, unique to the group within one mini-program, and when
// WeChat produced the data (the watermark's timestamp).
type ShareInfo struct {
	OpenGID string
	At      time.Time
}

// mpShareInfoJSON is the decrypted share info: wx.getShareInfo names the
// group openGId, wx.getGroupEnterInfo names it opengid.
type mpShareInfoJSON struct {
	OpenGID   string       `json:"openGId"`
	OpenGIDLC string       `json:"opengid"`
	Watermark *mpWatermark `json:"watermark"`
}

// maxOpenGID bounds the group id accepted from decrypted data (WeChat's are
// 28 characters).
const maxOpenGID = 128

// DecryptShareInfo decrypts the encryptedData and iv of wx.getShareInfo or
// wx.getGroupEnterInfo with the user's session key (DecryptData: AES-128-CBC,
// watermark app id checked) and returns the group it names. Data without a
// group id or a watermark timestamp is ErrDecrypt.
func DecryptShareInfo(appID, sessionKey, encryptedData, iv string) (ShareInfo, error) {
	pt, err := DecryptData(appID, sessionKey, encryptedData, iv)
	if err != nil {
		return ShareInfo{}, err
	}
	var p mpShareInfoJSON
	if err := json.Unmarshal(pt, &p); err != nil {
		return ShareInfo{}, fmt.Errorf("%w: share info: %v", ErrDecrypt, err)
	}
	gid := p.OpenGID
	if gid == "" {
		gid = p.OpenGIDLC
	}
	if gid == "" || len(gid) > maxOpenGID {
		return ShareInfo{}, fmt.Errorf("%w: share info lacks openGId", ErrDecrypt)
	}
	if p.Watermark == nil || p.Watermark.Timestamp <= 0 {
		return ShareInfo{}, fmt.Errorf("%w: share info lacks a watermark timestamp", ErrDecrypt)
	}
	return ShareInfo{OpenGID: gid, At: time.Unix(p.Watermark.Timestamp, 0).UTC()}, nil
}

// IsBadShareInfo reports whether err means the client's share info is bad
// (does not decrypt with the session key, names another app, or lacks the
// group) rather than something on the server failing.
func IsBadShareInfo(err error) bool {
	return errors.Is(err, ErrDecrypt) || errors.Is(err, ErrWatermark)
}
