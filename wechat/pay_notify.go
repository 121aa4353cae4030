package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Errors of ParseNotification (and of response verification), for errors.Is.
var (
	// ErrBadSignature: the signature is missing, invalid, or made under a
	// serial other than the configured platform keys'. Answer 401.
	ErrBadSignature = errors.New("wechat pay: bad signature")
	// ErrStaleNotification: the signed timestamp is further than MaxSkew from
	// now (a replay or a badly skewed clock).
	ErrStaleNotification = errors.New("wechat pay: timestamp outside the allowed skew")
	// ErrSignatureProbe: WeChat Pay's signature probe (a signature starting with
	// "WECHATPAY/SIGNTEST/"), which must be rejected like any bad signature.
	// It also matches ErrBadSignature.
	ErrSignatureProbe = fmt.Errorf("wechat pay: signature probe: %w", ErrBadSignature)
)

// Notification event and resource values of payment notifications.
const (
	EventTransactionSuccess = "TRANSACTION.SUCCESS"
	payResourceAlgorithm    = "AEAD_AES_256_GCM"
	payMaxNotification      = 1 << 20
)

// payNotificationJSON is the v3 notification envelope.
type payNotificationJSON struct {
	ID           string `json:"id"`
	CreateTime   string `json:"create_time"`
	ResourceType string `json:"resource_type"`
	EventType    string `json:"event_type"`
	Summary      string `json:"summary"`
	Resource     struct {
		OriginalType   string `json:"original_type"`
		Algorithm      string `json:"algorithm"`
		Ciphertext     string `json:"ciphertext"`
		AssociatedData string `json:"associated_data"`
		Nonce          string `json:"nonce"`
	} `json:"resource"`
}

// ParseNotification verifies and decrypts a WeChat Pay payment notification
// (the raw body and headers of the POST to the notify URL). It checks, in
// order: the signature probe (ErrSignatureProbe), the Wechatpay-Serial header
// against PlatformSerial and OtherPlatformKeys and the RSA-SHA256 signature
// with the key it names over
// "timestamp\nnonce\nbody\n" (ErrBadSignature), the timestamp against MaxSkew
// (ErrStaleNotification); then it decrypts the AEAD_AES_256_GCM resource with
// the APIv3 key. A TRANSACTION.SUCCESS event yields a paid Transaction; other
// events return the transaction with its own trade_state. The transaction
// must belong to the configured merchant and app.
func (p *Pay) ParseNotification(h http.Header, body []byte) (Transaction, error) {
	n, plain, err := p.openNotification(h, body, "transaction")
	if err != nil {
		return Transaction{}, err
	}
	var tj payTransactionJSON
	if err := json.Unmarshal(plain, &tj); err != nil {
		return Transaction{}, fmt.Errorf("wechat pay: notification %s: decode resource: %w", n.ID, err)
	}
	t, err := tj.transaction()
	if err != nil {
		return Transaction{}, fmt.Errorf("wechat pay: notification %s: %w", n.ID, err)
	}
	if t.MchID != p.cfg.MchID || t.AppID != p.cfg.AppID {
		return Transaction{}, fmt.Errorf("wechat pay: notification %s: for merchant %q app %q, not this one", n.ID, t.MchID, t.AppID)
	}
	paidEvent := n.EventType == EventTransactionSuccess
	if paidEvent != t.Paid() {
		return Transaction{}, fmt.Errorf("wechat pay: notification %s: event %q disagrees with trade_state %q", n.ID, n.EventType, t.TradeState)
	}
	if t.Paid() && (t.TransactionID == "" || t.SuccessTime.IsZero()) {
		return Transaction{}, fmt.Errorf("wechat pay: notification %s: paid transaction without transaction_id or success_time", n.ID)
	}
	return t, nil
}

// openNotification verifies a notification's signature and timestamp,
// decodes its envelope and decrypts its resource, which must be of
// originalType (when the envelope names one).
func (p *Pay) openNotification(h http.Header, body []byte, originalType string) (payNotificationJSON, []byte, error) {
	var n payNotificationJSON
	if len(body) > payMaxNotification {
		return n, nil, fmt.Errorf("wechat pay: notification: body larger than %d bytes", payMaxNotification)
	}
	if err := p.verify(h, body); err != nil {
		return n, nil, fmt.Errorf("wechat pay: notification: %w", err)
	}
	if err := json.Unmarshal(body, &n); err != nil {
		return n, nil, fmt.Errorf("wechat pay: notification: decode: %w", err)
	}
	r := n.Resource
	if r.Algorithm != payResourceAlgorithm {
		return n, nil, fmt.Errorf("wechat pay: notification %s: unsupported algorithm %q", n.ID, r.Algorithm)
	}
	if r.OriginalType != "" && r.OriginalType != originalType {
		return n, nil, fmt.Errorf("wechat pay: notification %s: resource type %q is not %s", n.ID, r.OriginalType, originalType)
	}
	plain, err := payDecryptResource(p.cfg.APIv3Key, r.Nonce, r.AssociatedData, r.Ciphertext)
	if err != nil {
		return n, nil, fmt.Errorf("wechat pay: notification %s: %w", n.ID, err)
	}
	return n, plain, nil
}

// payDecryptResource opens an AEAD_AES_256_GCM resource: base64 ciphertext
// (with the 16-byte tag appended), 12-byte nonce and associated data as
// strings, the APIv3 key as the AES-256 key.
func payDecryptResource(apiV3Key, nonce, associatedData, ciphertextB64 string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(ciphertextB64)
	if err != nil {
		return nil, fmt.Errorf("resource ciphertext: %w", err)
	}
	block, err := aes.NewCipher([]byte(apiV3Key))
	if err != nil {
		return nil, fmt.Errorf("resource cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("resource cipher: %w", err)
	}
	if len(nonce) != aead.NonceSize() {
		return nil, fmt.Errorf("resource nonce must be %d bytes, got %d", aead.NonceSize(), len(nonce))
	}
	if len(ct) < aead.Overhead() {
		return nil, errors.New("resource ciphertext too short")
	}
	plain, err := aead.Open(nil, []byte(nonce), ct, []byte(associatedData))
	if err != nil {
		return nil, fmt.Errorf("resource decrypt: %w", err)
	}
	return plain, nil
}
