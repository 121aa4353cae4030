package cli

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"

	"luckbox/data"
	"luckbox/wechat/fake"
)

// metaDemoKeys is the meta key of the demo-mode WeChat Pay keys.
const metaDemoKeys = "demo_pay_keys"

// storedDemoKeys is fake.DemoKeys as stored in the database.
type storedDemoKeys struct {
	MchKey         []byte `json:"mch_key"`      // PKCS #1 DER
	PlatformKey    []byte `json:"platform_key"` // PKCS #1 DER
	MchSerial      string `json:"mch_serial"`
	PlatformSerial string `json:"platform_serial"`
	APIv3Key       string `json:"apiv3_key"`
}

// demoKeysOf returns the demo-mode keys: those of the database with one
// node; in a cluster fresh ones per process, never stored (a node that is
// not the writer cannot write, and the keys need only agree between this
// process's fake WeChat and its client: both live here).
func demoKeysOf(ctx context.Context, cfg *serveConfig, db *data.DB) (fake.DemoKeys, error) {
	if cfg.Store == storeEtcd {
		return fake.NewDemoKeys(nil)
	}
	return demoKeysFor(ctx, db)
}

// demoKeysFor returns the demo-mode WeChat Pay keys of this database: made
// up on the first start and kept, so a restart does not spend a tenth of a
// second generating two RSA keys again (the fake and the client only need to
// agree with each other; the keys protect nothing).
func demoKeysFor(ctx context.Context, db *data.DB) (fake.DemoKeys, error) {
	raw, err := db.Meta(metaDemoKeys)
	if err != nil {
		return fake.DemoKeys{}, fmt.Errorf("demo keys: %w", err)
	}
	if raw != nil {
		if k, err := decodeDemoKeys(raw); err == nil {
			return k, nil
		}
		// Unreadable: make new ones (the demo fake has no state to lose).
	}
	keys, err := fake.NewDemoKeys(nil)
	if err != nil {
		return fake.DemoKeys{}, err
	}
	b, err := json.Marshal(storedDemoKeys{
		MchKey: x509.MarshalPKCS1PrivateKey(keys.MchKey), PlatformKey: x509.MarshalPKCS1PrivateKey(keys.PlatformKey),
		MchSerial: keys.MchSerial, PlatformSerial: keys.PlatformSerial, APIv3Key: keys.APIv3Key,
	})
	if err != nil {
		return fake.DemoKeys{}, fmt.Errorf("demo keys: %w", err)
	}
	if err := db.Update(ctx, func(tx data.Tx) error { return data.PutMeta(tx, metaDemoKeys, b) }); err != nil {
		return fake.DemoKeys{}, fmt.Errorf("demo keys: store: %w", err)
	}
	return keys, nil
}

func decodeDemoKeys(raw []byte) (fake.DemoKeys, error) {
	var s storedDemoKeys
	if err := json.Unmarshal(raw, &s); err != nil {
		return fake.DemoKeys{}, err
	}
	keys := fake.DemoKeys{MchSerial: s.MchSerial, PlatformSerial: s.PlatformSerial, APIv3Key: s.APIv3Key}
	for _, k := range []struct {
		der []byte
		to  **rsa.PrivateKey
	}{{s.MchKey, &keys.MchKey}, {s.PlatformKey, &keys.PlatformKey}} {
		key, err := x509.ParsePKCS1PrivateKey(k.der)
		if err != nil {
			return fake.DemoKeys{}, err
		}
		*k.to = key
	}
	if keys.MchSerial == "" || keys.PlatformSerial == "" || len(keys.APIv3Key) != 32 {
		return fake.DemoKeys{}, fmt.Errorf("incomplete demo keys")
	}
	return keys, nil
}
