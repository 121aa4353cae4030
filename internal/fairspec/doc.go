// Package fairspec keeps luckbox's fairness specification (docs/fairness.md)
// honest. Its tests build the test vectors in docs/fairness-vectors.json from
// the real code (lottery.NewProof, lottery.Proof.VerifyAgainst, lottery.DrawPicks,
// packet.SplitCommit, packet.Packet.VerifySplit), fail when the committed file
// differs from what the code computes (go test ./internal/fairspec -update
// rewrites it), and run the independent verifier docs/fairness-verify.py,
// written from the specification alone, over the file.
package fairspec
